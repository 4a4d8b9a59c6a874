// The HTML templates. Only escaped {{ }} tags appear: everything shown, model text above all,
// is untrusted. No inline script or event handler either: the policy forbids them, and the
// script at /static/app.js does all the work. Every form that changes something carries the
// session's CSRF token (the `csrf` partial). Kept in the binary so a copied `rlhf` needs no
// template folder.

/// Mustache templates by name; `header` and `footer` are partials shared by every page.
enum PageTemplates {
    static let all: [String: String] = [
        "header": header, "footer": footer, "login": login, "label": label,
        "chat": chat, "leaderboard": leaderboard, "admin": admin, "csrf": csrf,
    ]

    static let csrf = #"<input type="hidden" name="csrf" value="{{csrfToken}}">"#

    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · RLHF workbench</title>
        <link rel="stylesheet" href="/static/style.css">
        <meta name="csrf-token" content="{{csrfToken}}">
        <script src="/static/app.js" defer></script>
        </head>
        <body data-page="{{page}}">
        <header>
          <strong>RLHF workbench</strong>
          {{#signedIn}}
          <nav>
            <a href="/label">Label</a>
            <a href="/chat">Chat</a>
            <a href="/leaderboard">Leaderboard</a>
            {{#isAdmin}}<a href="/admin">Admin</a>{{/isAdmin}}
          </nav>
          <form method="post" action="/logout" class="signout">{{> csrf}}
            <span id="whoami">{{annotatorName}}</span> <button type="submit">Sign out</button>
          </form>
          {{/signedIn}}
        </header>
        <main>
        """

    static let footer = """
        </main>
        </body>
        </html>
        """

    static let login = """
        {{> header}}
        <h1>Sign in</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/login" id="login-form">{{> csrf}}
          <label>Annotator token <input type="password" name="token" id="token" autocomplete="off" required></label>
          <button type="submit" id="sign-in">Sign in</button>
        </form>
        {{> footer}}
        """

    static let label = """
        {{> header}}
        <h1>Rank the answers</h1>
        {{#task}}
        <section id="task" data-task-id="{{taskID}}">
          <h2>Prompt</h2>
          <pre class="prompt" id="prompt">{{prompt}}</pre>
          <p class="hint">Click the answers from best to worst, or drag them into order. Equal rank numbers are a tie.</p>
          <ol id="completions">
            {{#completions}}
            <li class="completion" draggable="true" data-completion-id="{{id}}">
              <label class="rank">Rank <select class="rank-select" aria-label="rank">{{#rankOptions}}<option value="{{value}}">{{label}}</option>{{/rankOptions}}</select></label>
              <pre class="completion-text">{{text}}</pre>
            </li>
            {{/completions}}
          </ol>
          <p>
            <button type="button" id="clear-ranks">Clear ranks</button>
            <label><input type="checkbox" id="tie"> All equally good (tie)</label>
            <label><input type="checkbox" id="both-bad"> All bad</label>
          </p>
          <label>Reason (optional)<textarea id="reason" rows="2"></textarea></label>
          <label>Write a better answer (optional)<textarea id="better-answer" rows="4"></textarea></label>
          <p><button type="button" id="submit-judgment">Submit judgment</button> <span id="status" role="status"></span></p>
        </section>
        {{/task}}
        {{^task}}
        <p id="no-task">No tasks are waiting for you. Thank you!</p>
        {{/task}}
        {{> footer}}
        """

    static let chat = """
        {{> header}}
        <h1>Chat with the model</h1>
        {{^hasModel}}<p class="error" id="no-model">No model is loaded on this server: start it with --model DIR to chat.</p>{{/hasModel}}
        <ol id="conversation"></ol>
        <form id="chat-form">
          <label>Your message<textarea id="chat-input" rows="3" required></textarea></label>
          <button type="submit" id="send">Send</button> <button type="button" id="stop" hidden>Stop</button>
          <span id="chat-status" role="status"></span>
        </form>
        <template id="reply-template">
          <li class="message assistant">
            <pre class="message-text"></pre>
            <small class="reply-model"></small>
            <span class="reply-actions">
              <button type="button" class="rate-good" title="Good answer">👍</button>
              <button type="button" class="rate-bad" title="Bad answer">👎</button>
              <button type="button" class="correct">Correct it</button>
              <span class="reply-status" role="status"></span>
            </span>
            <form class="correction" hidden>
              <textarea class="correction-text" rows="4"></textarea>
              <button type="submit">Save correction</button>
            </form>
          </li>
        </template>
        {{> footer}}
        """

    static let leaderboard = """
        {{> header}}
        <h1>Leaderboard</h1>
        <p>{{battleCount}} battles between models from {{judgmentCount}} judgments.
        Bradley-Terry ratings (base 10, scale 400, mean 1000) with {{confidence}} bootstrap intervals over {{rounds}} resamples of whole tasks; online Elo (K = 4) in judgment order.
        {{#isRegularized}}Some model never lost or never won, so Bradley-Terry used a small ridge penalty to stay finite.{{/isRegularized}}</p>
        <table id="models">
          <thead><tr><th>Model</th><th>Bradley-Terry</th><th>Interval</th><th>Elo</th><th>Battles</th><th>Wins</th><th>Losses</th><th>Ties</th></tr></thead>
          <tbody>
          {{#models}}
          <tr><td>{{model}}</td><td>{{rating}}</td><td>{{lower}} – {{upper}}</td><td>{{elo}}</td><td class="battles">{{battles}}</td><td>{{wins}}</td><td>{{losses}}</td><td>{{ties}}</td></tr>
          {{/models}}
          </tbody>
        </table>
        <h2>Agreement</h2>
        <p id="agreement">Krippendorff's alpha (nominal) over {{agreementUnits}} completion pairs judged by several annotators: <strong>{{agreement}}</strong></p>
        <h2>Annotators</h2>
        <table id="annotators">
          <thead><tr><th>Annotator</th><th>Judgments</th><th>With ties</th><th>All bad</th><th>Demonstrations</th><th>Answer ratings</th></tr></thead>
          <tbody>
          {{#annotators}}
          <tr data-annotator="{{name}}"><td>{{name}}</td><td class="judgments">{{judgments}}</td><td>{{withTies}}</td><td>{{bothBad}}</td><td>{{demonstrations}}</td><td>{{answerRatings}}</td></tr>
          {{/annotators}}
          </tbody>
        </table>
        {{> footer}}
        """

    static let admin = """
        {{> header}}
        <h1>Administration</h1>
        {{#message}}<p class="notice" role="status" id="admin-message">{{message}}</p>{{/message}}
        {{#newToken}}<p class="notice">Token for <strong>{{name}}</strong> (shown once): <code id="new-token">{{token}}</code></p>{{/newToken}}
        <h2>Create an annotator</h2>
        <form method="post" action="/admin/annotators">{{> csrf}}
          <label>Name <input name="name" required></label>
          <label>Role <select name="role"><option value="annotator">annotator</option><option value="admin">admin</option></select></label>
          <button type="submit">Create</button>
        </form>
        <h2>Load tasks</h2>
        <form method="post" action="/admin/tasks/import">{{> csrf}}
          <label>Task lines (JSON Lines: {"prompt": ..., "completions": [{"text": ..., "model": ...}, ...]})
          <textarea name="lines" rows="6" required></textarea></label>
          <button type="submit">Import</button>
        </form>
        {{#hasModel}}
        <form method="post" action="/admin/tasks/generate">{{> csrf}}
          <label>Prompts, one per line<textarea name="prompts" rows="4" required></textarea></label>
          <label>Completions per prompt <input name="count" type="number" min="2" max="8" value="2"></label>
          <button type="submit">Generate tasks with the model</button>
        </form>
        {{/hasModel}}
        <h2>Adapter versions</h2>
        <p>Learned from the chat's corrections by <code>rlhf learn</code> (or by <code>rlhf serve --learn-every N</code>); every version is kept.</p>
        <table id="adapter-versions"><thead><tr><th>Version</th><th>Status</th><th>Started</th><th>Corrections</th><th>Ratings</th><th>SFT loss</th><th>DPO accuracy</th><th>Corrections reproduced</th><th>Held-out KL (nats/token)</th><th></th></tr></thead>
        <tbody>{{#versions}}<tr data-version="{{id}}"><td>{{id}}</td><td class="status">{{status}}{{#isActive}} (answering){{/isActive}}{{#failure}}: {{failure}}{{/failure}}</td><td>{{createdAt}}</td><td>{{corrections}}</td><td>{{ratings}}</td><td>{{sftLoss}}</td><td>{{dpoAccuracy}}</td><td>{{reproduced}}</td><td>{{drift}}</td>
        <td>{{#canActivate}}<form method="post" action="/admin/adapters/{{id}}/activate">{{> csrf}}<button type="submit" class="activate">Answer with this version</button></form>{{/canActivate}}</td></tr>{{/versions}}</tbody></table>
        <form method="post" action="/admin/adapters/deactivate">{{> csrf}}<button type="submit" id="deactivate-adapters">Answer with the model the server started with</button></form>
        {{#iteration}}
        <h2>Online RLHF rounds</h2>
        <p>Each round samples tasks from the current policy for the labeling page, waits for its label budget, retrains the reward model, continues PPO and ranks every round in the arena (whose tasks are labelled on the same page).</p>
        <p id="iterate-state" class="notice" role="status"{{#isRunning}} data-running{{/isRunning}}>{{state}}</p>
        {{^isRunning}}<form method="post" action="/admin/iterate/start">{{> csrf}}<button type="submit" id="start-round">Start round {{nextRound}}</button></form>{{/isRunning}}
        <table id="iterate-rounds"><thead><tr><th>Round</th><th>Judge score</th><th>Labels</th><th>Reward-model accuracy</th><th>Seconds</th></tr></thead>
        <tbody>{{#rounds}}<tr data-round="{{round}}"><td>{{round}}</td><td>{{judge}}</td><td>{{labels}}</td><td>{{rewardAccuracy}}</td><td>{{seconds}}</td></tr>{{/rounds}}</tbody></table>
        <table id="iterate-arena"><thead><tr><th>Arena entrant</th><th>Bradley-Terry</th><th>95% interval</th></tr></thead>
        <tbody>{{#arena}}<tr data-model="{{model}}"><td>{{model}}</td><td>{{rating}}</td><td>{{interval}}</td></tr>{{/arena}}</tbody></table>
        {{/iteration}}
        <h2>Annotators</h2>
        <ul id="annotator-list">{{#annotators}}<li>{{name}} ({{role}})</li>{{/annotators}}</ul>
        <h2>Agreement with the panel</h2>
        <p>How often each annotator sides with the other annotators' majority on the answer pairs they judged in common. Flagged: far below the panel's median. Excluded annotators' judgments are left out of training files and the leaderboard.</p>
        <table id="panel-agreement"><thead><tr><th>Annotator</th><th>Pairs</th><th>Agreement</th><th>Flag</th><th></th></tr></thead>
        <tbody>{{#panel}}<tr data-annotator="{{name}}"><td>{{name}}</td><td>{{pairs}}</td><td>{{agreement}}</td><td class="flag">{{#isFlagged}}outlier{{/isFlagged}}{{#isExcluded}} (excluded){{/isExcluded}}</td>
        <td><form method="post" action="/admin/exclusions">{{> csrf}}<input type="hidden" name="name" value="{{name}}"><input type="hidden" name="excluded" value="{{excludeValue}}"><button type="submit">{{#exclude}}Exclude from exports{{/exclude}}{{^exclude}}Include again{{/exclude}}</button></form></td></tr>{{/panel}}</tbody></table>
        <h2>Audit log</h2>
        <table id="audit-log"><thead><tr><th>When</th><th>Administrator</th><th>Action</th><th>Target</th></tr></thead>
        <tbody>{{#audit}}<tr><td>{{when}}</td><td>{{admin}}</td><td>{{action}}</td><td>{{target}}</td></tr>{{/audit}}</tbody></table>
        <h2>Latest tasks</h2>
        <table><thead><tr><th>Task</th><th>Prompt</th><th>Completions</th><th>Judgments</th></tr></thead>
        <tbody id="task-list">{{#tasks}}<tr><td>{{taskID}}</td><td>{{prompt}}</td><td>{{completions}}</td><td>{{judgments}}</td></tr>{{/tasks}}</tbody></table>
        {{> footer}}
        """
}
