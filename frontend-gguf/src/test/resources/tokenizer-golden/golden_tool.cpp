// Golden-vector generator for ggufc's tokenizer tests. Built and run by regenerate.sh against the
// reference llama.cpp (see /work/shared/reference). Not part of the Java build.
//
// usage: golden_tool MODEL CASES_FILE
//   CASES_FILE: test strings, each followed by "\n__ggml_vocab_test__\n" (llama.cpp's .inp format)
// prints first the vocabulary facts:
//   vocab n=<n_tokens> bos=<id> eos=<id> eot=<id> sep=<id> pad=<id> add_bos=<0|1> add_eos=<0|1>
//   eog <ids>      every id with llama_vocab_is_eog
//   attr <id:attr> every id whose llama_vocab_get_attr is not plain NORMAL (4)
//   pieces <fnv0> <fnv1>  FNV-1a 64 over llama_token_to_piece(id, 0, special) + 0xFF for all ids, special=false / true
// then, per case:
//   case <index>
//   enc <ids>      llama_tokenize(add_special=false, parse_special=false)
//   encsp <ids>    llama_tokenize(add_special=true,  parse_special=true)
//   dec <text>     llama_detokenize(enc ids,   remove_special=false, unparse_special=false)
//   decsp <text>   llama_detokenize(encsp ids, remove_special=false, unparse_special=false)
//   decrm <text>   llama_detokenize(encsp ids, remove_special=true,  unparse_special=false)
//   decun <text>   llama_detokenize(encsp ids, remove_special=false, unparse_special=true)
//   cat <text>     concatenation of llama_token_to_piece(id, lstrip=0, special=false) over enc ids
// <text> is escaped: control bytes, '\', bytes that are not part of valid UTF-8, U+0085, U+2028 and U+2029 are
// written as \xHH (per byte); everything else is written as UTF-8.
#include "llama.h"
#include "ggml-backend.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

static void quiet(enum ggml_log_level level, const char * text, void *) {
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static std::vector<llama_token> tokenize(const llama_vocab * v, const std::string & s, bool add, bool parse) {
    int n = -llama_tokenize(v, s.data(), (int32_t) s.size(), nullptr, 0, add, parse);
    std::vector<llama_token> t(n > 0 ? n : 0);
    n = llama_tokenize(v, s.data(), (int32_t) s.size(), t.data(), (int32_t) t.size(), add, parse);
    if (n < 0) { fprintf(stderr, "tokenize failed\n"); exit(1); }
    t.resize(n);
    return t;
}

static std::string detok(const llama_vocab * v, const std::vector<llama_token> & t, bool rm = false, bool un = false) {
    std::string s(t.size() * 16 + 16, '\0');
    int n = llama_detokenize(v, t.data(), (int32_t) t.size(), &s[0], (int32_t) s.size(), rm, un);
    if (n < 0) { s.resize(-n); n = llama_detokenize(v, t.data(), (int32_t) t.size(), &s[0], (int32_t) s.size(), rm, un); }
    s.resize(n);
    return s;
}

static std::string cat(const llama_vocab * v, const std::vector<llama_token> & t) {
    std::string r;
    for (llama_token id : t) {
        char buf[512];
        int n = llama_token_to_piece(v, id, buf, sizeof buf, 0, false);
        if (n < 0) { fprintf(stderr, "piece too long\n"); exit(1); }
        r.append(buf, n);
    }
    return r;
}

// length of the valid UTF-8 sequence starting at s[i], or 0 if none starts there
static size_t utf8_len(const std::string & s, size_t i) {
    const unsigned char c = s[i];
    size_t n; unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; k++) {
        const unsigned char d = s[i + k];
        if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return 0;
    }
    return n;
}

static std::string esc(const std::string & s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ) {
        const unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') { r += (char) c; i++; continue; }
        const size_t n = c >= 0x80 ? utf8_len(s, i) : 0;
        // valid multi-byte characters stay as they are, except line/paragraph separators and NEL
        if (n > 0 && !(n == 2 && c == 0xC2 && (unsigned char) s[i + 1] == 0x85)
                  && !(n == 3 && c == 0xE2 && (unsigned char) s[i + 1] == 0x80 && ((unsigned char) s[i + 2] & 0xFE) == 0xA8)) {
            r.append(s, i, n); i += n; continue;
        }
        char b[8]; snprintf(b, sizeof b, "\\x%02X", c); r += b; i++;
    }
    return r;
}

static std::string ids(const std::vector<llama_token> & t) {
    std::string r;
    for (size_t i = 0; i < t.size(); i++) { if (i) r += ' '; r += std::to_string(t[i]); }
    return r;
}

int main(int argc, char ** argv) {
    if (argc != 4) { fprintf(stderr, "usage: golden_tool BACKEND_DIR MODEL CASES_FILE\n"); return 2; }
    llama_log_set(quiet, nullptr);
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    llama_model * m = llama_model_load_from_file(argv[2], mp);
    if (!m) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
    const llama_vocab * v = llama_model_get_vocab(m);

    const int n_vocab = llama_vocab_n_tokens(v);
    printf("vocab n=%d bos=%d eos=%d eot=%d sep=%d pad=%d add_bos=%d add_eos=%d\n", n_vocab, llama_vocab_bos(v),
           llama_vocab_eos(v), llama_vocab_eot(v), llama_vocab_sep(v), llama_vocab_pad(v),
           (int) llama_vocab_get_add_bos(v), (int) llama_vocab_get_add_eos(v));
    printf("eog");
    for (int id = 0; id < n_vocab; id++) if (llama_vocab_is_eog(v, id)) printf(" %d", id);
    printf("\nattr");
    for (int id = 0; id < n_vocab; id++) {
        int a = (int) llama_vocab_get_attr(v, id);
        if (a != LLAMA_TOKEN_ATTR_NORMAL) printf(" %d:%d", id, a);
    }
    printf("\npieces");
    for (int special = 0; special < 2; special++) {
        unsigned long long h = 0xcbf29ce484222325ULL;
        for (int id = 0; id < n_vocab; id++) {
            char buf[1024];
            int n = llama_token_to_piece(v, id, buf, sizeof buf, 0, special != 0);
            if (n < 0) { fprintf(stderr, "piece too long\n"); return 1; }
            for (int i = 0; i <= n; i++) { h ^= (unsigned char) (i < n ? buf[i] : 0xFF); h *= 0x100000001b3ULL; }
        }
        printf(" %016llx", h);
    }
    printf("\n");

    std::ifstream in(argv[3], std::ios::binary);
    std::stringstream ss; ss << in.rdbuf();
    const std::string all = ss.str(), sep = "\n__ggml_vocab_test__\n";
    size_t pos = 0; int idx = 0;
    while (pos < all.size()) {
        size_t e = all.find(sep, pos);
        if (e == std::string::npos) { fprintf(stderr, "cases file must end with the separator\n"); return 1; }
        const std::string text = all.substr(pos, e - pos);
        pos = e + sep.size();
        auto enc = tokenize(v, text, false, false);
        auto encsp = tokenize(v, text, true, true);
        printf("case %d\n", idx++);
        printf("enc %s\n", ids(enc).c_str());
        printf("encsp %s\n", ids(encsp).c_str());
        printf("dec %s\n", esc(detok(v, enc)).c_str());
        printf("decsp %s\n", esc(detok(v, encsp)).c_str());
        printf("decrm %s\n", esc(detok(v, encsp, true, false)).c_str());
        printf("decun %s\n", esc(detok(v, encsp, false, true)).c_str());
        printf("cat %s\n", esc(cat(v, enc)).c_str());
    }
    llama_model_free(m);
    return 0;
}
