// The page script: ranking on the labeling page and the chat page. Model text only ever enters
// the page through textContent, never innerHTML.

/// The JavaScript served at /static/app.js.
enum StaticScript {
    static let source = #"""
        "use strict";

        // The session's CSRF token, which every state-changing request must carry.
        function csrfHeaders() {
          const meta = document.querySelector('meta[name="csrf-token"]');
          return { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" };
        }

        async function sendJSON(method, url, body) {
          const response = await fetch(url, {
            method, headers: csrfHeaders(), credentials: "same-origin",
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await response.text();
          const data = text ? JSON.parse(text) : null;
          if (!response.ok) throw new Error(data && data.error ? data.error.message : response.statusText);
          return data;
        }

        function setUpLabeling() {
          const task = document.getElementById("task");
          if (!task) return;
          const list = document.getElementById("completions");
          const cards = () => Array.from(list.querySelectorAll(".completion"));
          const select = (card) => card.querySelector(".rank-select");
          const status = document.getElementById("status");
          let nextRank = 1;

          list.addEventListener("click", (event) => {
            const card = event.target.closest(".completion");
            if (!card || event.target.closest("select")) return;
            if (select(card).value === "") select(card).value = String(nextRank++);
          });
          document.getElementById("clear-ranks").addEventListener("click", () => {
            cards().forEach((card) => { select(card).value = ""; });
            nextRank = 1;
          });

          let dragged = null;
          list.addEventListener("dragstart", (event) => { dragged = event.target.closest(".completion"); });
          list.addEventListener("dragover", (event) => event.preventDefault());
          list.addEventListener("drop", (event) => {
            event.preventDefault();
            const target = event.target.closest(".completion");
            if (!dragged || !target || dragged === target) return;
            list.insertBefore(dragged, target);
            cards().forEach((card, index) => { select(card).value = String(index + 1); });
            nextRank = cards().length + 1;
          });

          document.getElementById("submit-judgment").addEventListener("click", async () => {
            const ids = cards().map((card) => Number(card.dataset.completionId));
            const bothBad = document.getElementById("both-bad").checked;
            let tiers;
            if (bothBad || document.getElementById("tie").checked) {
              tiers = [ids];
            } else {
              const ranks = cards().map((card) => select(card).value);
              if (ranks.some((rank) => rank === "")) { status.textContent = "Rank every answer first."; return; }
              const byRank = new Map();
              cards().forEach((card, index) => {
                const rank = Number(ranks[index]);
                if (!byRank.has(rank)) byRank.set(rank, []);
                byRank.get(rank).push(ids[index]);
              });
              tiers = Array.from(byRank.keys()).sort((a, b) => a - b).map((rank) => byRank.get(rank));
            }
            const body = {
              kind: "ranking", tiers, bothBad,
              reason: document.getElementById("reason").value || null,
              betterAnswer: document.getElementById("better-answer").value || null,
            };
            try {
              const saved = await sendJSON("PUT", `/api/tasks/${task.dataset.taskId}/judgment`, body);
              status.textContent = `Saved judgment ${saved.judgmentID}.`;
              document.body.dataset.lastJudgment = String(saved.judgmentID);
              setTimeout(() => window.location.reload(), 300);
            } catch (error) {
              status.textContent = `Not saved: ${error.message}`;
            }
          });
        }

        function setUpChat() {
          const form = document.getElementById("chat-form");
          if (!form) return;
          const conversation = document.getElementById("conversation");
          const input = document.getElementById("chat-input");
          const status = document.getElementById("chat-status");
          const messages = [];

          function addUserMessage(text) {
            const item = document.createElement("li");
            item.className = "message user";
            const body = document.createElement("pre");
            body.className = "message-text";
            body.textContent = text;
            item.append(body);
            conversation.append(item);
          }

          function addPendingReply() {
            const item = document.getElementById("reply-template").content.firstElementChild.cloneNode(true);
            item.querySelector(".reply-actions").hidden = true;
            conversation.append(item);
            return item;
          }

          function finishReply(item, reply, index) {
            item.dataset.completionId = String(reply.completionID);
            item.querySelector(".message-text").textContent = reply.text;
            item.querySelector(".reply-model").textContent = reply.model;
            item.querySelector(".reply-actions").hidden = false;
            const replyStatus = item.querySelector(".reply-status");
            if (reply.stopped) replyStatus.textContent = "Stopped.";
            const rate = async (isGood) => {
              try {
                await sendJSON("POST", `/api/chat/replies/${reply.completionID}/rating`, { isGood });
                replyStatus.textContent = isGood ? "Rated good." : "Rated bad.";
              } catch (error) { replyStatus.textContent = error.message; }
            };
            item.querySelector(".rate-good").addEventListener("click", () => rate(true));
            item.querySelector(".rate-bad").addEventListener("click", () => rate(false));
            const correction = item.querySelector(".correction");
            item.querySelector(".correct").addEventListener("click", () => {
              correction.hidden = false;
              correction.querySelector(".correction-text").value = reply.text;
            });
            correction.addEventListener("submit", async (event) => {
              event.preventDefault();
              const text = correction.querySelector(".correction-text").value;
              try {
                await sendJSON("POST", `/api/chat/replies/${reply.completionID}/correction`, { text });
                messages[index].content = text;
                item.querySelector(".message-text").textContent = text;
                correction.hidden = true;
                replyStatus.textContent = "Correction saved as a demonstration.";
              } catch (error) { replyStatus.textContent = error.message; }
            });
          }

          // Reads the server-sent events of POST /api/chat/stream: "text" pieces are appended as
          // text as they arrive; "done" carries the stored reply, "error" the refusal.
          async function streamReply(item) {
            const response = await fetch("/api/chat/stream", {
              method: "POST", headers: csrfHeaders(), credentials: "same-origin",
              body: JSON.stringify({ messages }),
            });
            if (!response.ok) {
              const data = await response.json().catch(() => null);
              throw new Error(data && data.error ? data.error.message : response.statusText);
            }
            const shown = item.querySelector(".message-text");
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            let buffer = "";
            for (;;) {
              const { value, done } = await reader.read();
              if (done) throw new Error("the answer ended without a reply");
              buffer += value;
              let end;
              while ((end = buffer.indexOf("\n\n")) >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const name = (block.match(/^event: (.*)$/m) || [])[1];
                const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "null");
                if (name === "text") shown.textContent += data.text;
                if (name === "error") throw new Error(data.message);
                if (name === "done") return data;
              }
            }
          }

          const send = document.getElementById("send");
          const stop = document.getElementById("stop");
          stop.addEventListener("click", async () => {
            stop.disabled = true;
            try { await sendJSON("POST", "/api/chat/stop", {}); } catch (error) { status.textContent = error.message; }
          });

          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            const text = input.value.trim();
            if (!text) return;
            messages.push({ role: "user", content: text });
            addUserMessage(text);
            input.value = "";
            status.textContent = "The model is answering…";
            const item = addPendingReply();
            send.disabled = true;
            stop.hidden = false;
            stop.disabled = false;
            try {
              const reply = await streamReply(item);
              messages.push({ role: "assistant", content: reply.text });
              finishReply(item, reply, messages.length - 1);
              status.textContent = "";
            } catch (error) {
              messages.pop();
              item.remove();
              status.textContent = error.message;
            } finally {
              send.disabled = false;
              stop.hidden = true;
            }
          });
        }

        // While a round runs, its stage and progress follow the loop's status; when it ends, the
        // page reloads to show the round, the arena and the next start button.
        function setUpIteratePanel() {
          const state = document.getElementById("iterate-state");
          if (!state || !state.hasAttribute("data-running")) return;
          const poll = async () => {
            try {
              const status = await sendJSON("GET", "/api/admin/iterate");
              state.textContent = status.state;
              if (!status.isRunning) { window.location.reload(); return; }
            } catch (error) {
              state.textContent = `Status unavailable: ${error.message}`;
            }
            setTimeout(poll, 5000);
          };
          setTimeout(poll, 5000);
        }

        document.addEventListener("DOMContentLoaded", () => { setUpLabeling(); setUpChat(); setUpIteratePanel(); });
        """#
}

/// The stylesheet served at /static/style.css.
enum StaticStyle {
    static let source = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
        header { display: flex; gap: 1.5rem; align-items: center; padding: 0.6rem 1.2rem; background: #243447; color: #fff; }
        header a { color: #cfe3ff; margin-right: 0.8rem; }
        header .signout { margin-left: auto; }
        main { max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }
        pre { white-space: pre-wrap; word-wrap: break-word; font-family: inherit; margin: 0.3rem 0; }
        .prompt { background: #eef3f8; padding: 0.6rem; border-radius: 4px; }
        #completions { list-style: none; padding: 0; }
        .completion { background: #fff; border: 1px solid #c9d3dd; border-radius: 4px; padding: 0.6rem; margin: 0.5rem 0; cursor: pointer; }
        .completion:hover { border-color: #4a7bb7; }
        label { display: block; margin: 0.4rem 0; }
        .completion label.rank, p label { display: inline-block; margin-right: 1rem; }
        textarea { width: 100%; box-sizing: border-box; }
        table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
        th, td { border-bottom: 1px solid #d8dee4; padding: 0.3rem 0.5rem; text-align: left; }
        .error { color: #a11; }
        .notice { background: #eef8ee; padding: 0.5rem; }
        .message { list-style: none; margin: 0.5rem 0; padding: 0.5rem; border-radius: 4px; }
        .message.user { background: #eef3f8; }
        .message.assistant { background: #fff; border: 1px solid #d8dee4; }
        """
}
