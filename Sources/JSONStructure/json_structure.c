#include "json_structure.h"

#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#if defined(__x86_64__)
#include <cpuid.h>
#define HAS_X86_LEVELS 1
#endif
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/// One bit per byte of a 64-byte block, lowest bit first, for each kind of byte the structure depends on.
typedef struct {
    uint64_t quote, backslash, open, close, control, newline;
} block_masks;

#if defined(__SSE2__)

static inline uint64_t bits16(__m128i matches, int shift) {
    return (uint64_t)(uint16_t)_mm_movemask_epi8(matches) << shift;
}

static inline void classify(const uint8_t *block, block_masks *masks) {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), case_bit = _mm_set1_epi8(0x20);
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'), last_control = _mm_set1_epi8(0x1F);
    const __m128i newline = _mm_set1_epi8('\n');
    *masks = (block_masks){0, 0, 0, 0, 0, 0};
    for (int shift = 0; shift < 64; shift += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(block + shift));
        // '[' and ']' are '{' and '}' without the 0x20 bit.
        __m128i folded = _mm_or_si128(bytes, case_bit);
        masks->quote |= bits16(_mm_cmpeq_epi8(bytes, quote), shift);
        masks->backslash |= bits16(_mm_cmpeq_epi8(bytes, backslash), shift);
        masks->open |= bits16(_mm_cmpeq_epi8(folded, open), shift);
        masks->close |= bits16(_mm_cmpeq_epi8(folded, close), shift);
        masks->control |= bits16(_mm_cmpeq_epi8(_mm_max_epu8(bytes, last_control), last_control), shift);
        masks->newline |= bits16(_mm_cmpeq_epi8(bytes, newline), shift);
    }
}

#elif defined(__ARM_NEON)

/// The high bit of each byte of four 16-byte comparisons, as one 64-bit mask.
static inline uint64_t bits64(uint8x16_t first, uint8x16_t second, uint8x16_t third, uint8x16_t fourth) {
    const uint8x16_t weights = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    uint8x16_t low = vpaddq_u8(vandq_u8(first, weights), vandq_u8(second, weights));
    uint8x16_t high = vpaddq_u8(vandq_u8(third, weights), vandq_u8(fourth, weights));
    uint8x16_t sum = vpaddq_u8(low, high);
    sum = vpaddq_u8(sum, sum);
    return vgetq_lane_u64(vreinterpretq_u64_u8(sum), 0);
}

static inline void classify(const uint8_t *block, block_masks *masks) {
    uint8x16_t bytes[4], folded[4];
    for (int part = 0; part < 4; part++) {
        bytes[part] = vld1q_u8(block + 16 * part);
        folded[part] = vorrq_u8(bytes[part], vdupq_n_u8(0x20));
    }
#define MATCHES(array, value) \
    bits64(vceqq_u8(array[0], vdupq_n_u8(value)), vceqq_u8(array[1], vdupq_n_u8(value)), \
           vceqq_u8(array[2], vdupq_n_u8(value)), vceqq_u8(array[3], vdupq_n_u8(value)))
    masks->quote = MATCHES(bytes, '"');
    masks->backslash = MATCHES(bytes, '\\');
    masks->open = MATCHES(folded, '{');
    masks->close = MATCHES(folded, '}');
    masks->newline = MATCHES(bytes, '\n');
#undef MATCHES
    masks->control = bits64(vcleq_u8(bytes[0], vdupq_n_u8(0x1F)), vcleq_u8(bytes[1], vdupq_n_u8(0x1F)),
                            vcleq_u8(bytes[2], vdupq_n_u8(0x1F)), vcleq_u8(bytes[3], vdupq_n_u8(0x1F)));
}

#else

static inline void classify(const uint8_t *block, block_masks *masks) {
    *masks = (block_masks){0, 0, 0, 0, 0, 0};
    for (int index = 0; index < 64; index++) {
        uint64_t bit = 1ULL << index;
        uint8_t byte = block[index];
        if (byte == '"') masks->quote |= bit;
        if (byte == '\\') masks->backslash |= bit;
        if ((byte | 0x20) == '{') masks->open |= bit;
        if ((byte | 0x20) == '}') masks->close |= bit;
        if (byte < 0x20) masks->control |= bit;
        if (byte == '\n') masks->newline |= bit;
    }
}

#endif

/// The bytes escaped by a backslash: the second of each pair in a run of backslashes, and the byte after an odd
/// run. `carry` says whether the previous block ended in an unpaired backslash. (simdjson's method.)
static inline uint64_t escaped_bytes(uint64_t backslash, uint64_t *carry) {
    if (backslash == 0 && *carry == 0) return 0;
    const uint64_t even_bits = 0x5555555555555555ULL;
    backslash &= ~*carry;
    uint64_t follows_escape = backslash << 1 | *carry;
    uint64_t odd_sequence_starts = backslash & ~even_bits & ~follows_escape;
    uint64_t sequences_starting_on_even_bits;
    *carry = __builtin_add_overflow(odd_sequence_starts, backslash, &sequences_starting_on_even_bits);
    uint64_t invert_mask = sequences_starting_on_even_bits << 1;
    return (even_bits ^ invert_mask) & follows_escape;
}

/// Bit i set when an odd number of bits at or below i are set: the bytes inside strings, opening quote included.
static inline uint64_t prefix_xor(uint64_t bits) {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    return bits;
}

static inline json_skip_result stop(size_t position, json_skip_problem problem) {
    return (json_skip_result){position, problem};
}

typedef void (*classify_function)(const uint8_t *, block_masks *);
typedef uint64_t (*prefix_xor_function)(uint64_t);

/// The walk, for one way of classifying blocks: inlined into one function per instruction set.
static inline __attribute__((always_inline)) json_skip_result skip_container(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth,
    classify_function classify_block, prefix_xor_function in_strings) {
    if (max_depth > 64) max_depth = 64;
    uint64_t in_string_carry = 0, escape_carry = 0;
    /// One bit per open bracket, innermost lowest: 1 for an object.
    uint64_t kinds = 0;
    int depth = 0;
    uint8_t tail[64];
    for (size_t base = start; base < end; base += 64) {
        const uint8_t *block = bytes + base;
        // A gateway's body is megabytes, out of the core's caches by the time it is decoded: asking for the bytes
        // 16 blocks ahead measured ~5 % more payloads/s through HTTP (docs/performance.md).
        __builtin_prefetch(block + 1024);
        if (end - base < 64) {
            // The last block, padded with spaces: nothing the structure depends on.
            memset(tail, ' ', sizeof tail);
            memcpy(tail, block, end - base);
            block = tail;
        }
        block_masks masks;
        classify_block(block, &masks);
        uint64_t quotes = masks.quote & ~escaped_bytes(masks.backslash, &escape_carry);
        uint64_t in_string = in_strings(quotes) ^ in_string_carry;
        in_string_carry = (uint64_t)((int64_t)in_string >> 63);
        // A backslash outside a string would escape what follows it: the walk stops there, before that matters.
        uint64_t stray_backslashes = masks.backslash & ~in_string;
        uint64_t problems = (masks.control & in_string) | stray_backslashes;
        if (newline_ends_value) problems |= masks.newline & ~in_string;
        uint64_t brackets = (masks.open | masks.close) & ~in_string;
        if (problems) brackets &= (problems & (0 - problems)) - 1;
        while (brackets) {
            int index = __builtin_ctzll(brackets);
            brackets &= brackets - 1;
            if ((masks.open >> index) & 1) {
                if (depth >= max_depth) return stop(base + index, json_skip_too_deep);
                kinds = kinds << 1 | (uint64_t)(block[index] == '{');
                depth++;
            } else {
                if (depth == 0 || (kinds & 1) != (uint64_t)(block[index] == '}'))
                    return stop(base + index, json_skip_mismatched_bracket);
                kinds >>= 1;
                depth--;
                if (depth == 0) return stop(base + index + 1, json_skip_ok);
            }
        }
        if (problems) {
            int index = __builtin_ctzll(problems);
            if ((stray_backslashes >> index) & 1) return stop(base + index, json_skip_stray_backslash);
            return stop(base + index,
                        ((in_string >> index) & 1) ? json_skip_control_character : json_skip_line_ends_value);
        }
    }
    return stop(end, in_string_carry ? json_skip_unterminated_string : json_skip_unterminated_value);
}

static json_skip_result skip_baseline(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth) {
    return skip_container(bytes, start, end, newline_ends_value, max_depth, classify, prefix_xor);
}

#if HAS_X86_LEVELS

__attribute__((target("avx2,pclmul"))) static inline uint64_t prefix_xor_clmul(uint64_t bits) {
    __m128i all_ones = _mm_set1_epi8((char)0xFF);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)bits), all_ones, 0));
}

__attribute__((target("avx2,pclmul"))) static inline uint64_t bits32(__m256i matches, int shift) {
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(matches) << shift;
}

__attribute__((target("avx2,pclmul"))) static inline void classify_avx2(const uint8_t *block, block_masks *masks) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i case_bit = _mm256_set1_epi8(0x20), open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
    const __m256i last_control = _mm256_set1_epi8(0x1F), newline = _mm256_set1_epi8('\n');
    *masks = (block_masks){0, 0, 0, 0, 0, 0};
    for (int shift = 0; shift < 64; shift += 32) {
        __m256i bytes = _mm256_loadu_si256((const __m256i *)(block + shift));
        __m256i folded = _mm256_or_si256(bytes, case_bit);
        masks->quote |= bits32(_mm256_cmpeq_epi8(bytes, quote), shift);
        masks->backslash |= bits32(_mm256_cmpeq_epi8(bytes, backslash), shift);
        masks->open |= bits32(_mm256_cmpeq_epi8(folded, open), shift);
        masks->close |= bits32(_mm256_cmpeq_epi8(folded, close), shift);
        masks->control |= bits32(_mm256_cmpeq_epi8(_mm256_max_epu8(bytes, last_control), last_control), shift);
        masks->newline |= bits32(_mm256_cmpeq_epi8(bytes, newline), shift);
    }
}

__attribute__((target("avx2,pclmul"))) static json_skip_result skip_avx2(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth) {
    return skip_container(bytes, start, end, newline_ends_value, max_depth, classify_avx2, prefix_xor_clmul);
}

__attribute__((target("avx512f,avx512bw,pclmul"))) static inline void classify_avx512(
    const uint8_t *block, block_masks *masks) {
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    __m512i folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    masks->quote = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
    masks->backslash = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\\'));
    masks->open = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{'));
    masks->close = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
    masks->control = _mm512_cmple_epu8_mask(bytes, _mm512_set1_epi8(0x1F));
    masks->newline = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\n'));
}

__attribute__((target("avx512f,avx512bw,pclmul"))) static inline uint64_t prefix_xor_clmul512(uint64_t bits) {
    __m128i all_ones = _mm_set1_epi8((char)0xFF);
    return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)bits), all_ones, 0));
}

__attribute__((target("avx512f,avx512bw,pclmul"))) static json_skip_result skip_avx512(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth) {
    return skip_container(bytes, start, end, newline_ends_value, max_depth, classify_avx512, prefix_xor_clmul512);
}

/// What the processor and the operating system both support: CPUID for the instructions, XCR0 for the saved state.
static int detect_level(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int pclmul = (ecx >> 1) & 1, osxsave = (ecx >> 27) & 1;
    if (!osxsave || !pclmul) return 0;
    unsigned xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1;
    if (avx512f && avx512bw && (xcr0_low & 0xE6) == 0xE6) return 2;
    return avx2 ? 1 : 0;
}

#endif

int json_structure_best_level(void) {
#if HAS_X86_LEVELS
    static int level = -1;
    int known = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (known < 0) {
        known = detect_level();
        __atomic_store_n(&level, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

/// Eight bytes at a time: where the first byte that ends a plain run lies, or 8.
static inline size_t plain_bytes_in_word(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = word ^ (ones * '"'), backslash = word ^ (ones * '\\');
    // Exact per byte (no borrow across bytes): the high bit of each byte of `special` says it ends the run.
    uint64_t low7 = ~high;
    uint64_t is_quote = ~(((quote & low7) + low7) | quote) & high;
    uint64_t is_backslash = ~(((backslash & low7) + low7) | backslash) & high;
    uint64_t is_control = ~(((word & low7) + (low7 - ones * 0x1F)) | word) & high;
    uint64_t special = is_quote | is_backslash | is_control | (word & high);
    return special ? (size_t)(__builtin_ctzll(special) >> 3) : 8;
}

static size_t plain_run_end_baseline(const uint8_t *bytes, size_t start, size_t end) {
    size_t index = start;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), last_control = _mm_set1_epi8(0x1F);
    while (index + 16 <= end) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                                       _mm_cmpeq_epi8(_mm_max_epu8(chunk, last_control), last_control));
        unsigned mask = (unsigned)_mm_movemask_epi8(special) | (unsigned)_mm_movemask_epi8(chunk);
        if (mask) return index + (size_t)__builtin_ctz(mask);
        index += 16;
    }
#endif
    while (index + 8 <= end) {
        size_t plain = plain_bytes_in_word(bytes + index);
        if (plain < 8) return index + plain;
        index += 8;
    }
    while (index < end) {
        uint8_t byte = bytes[index];
        if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x80) return index;
        index++;
    }
    return end;
}

#if HAS_X86_LEVELS

__attribute__((target("avx2"))) static size_t plain_run_end_avx2(const uint8_t *bytes, size_t start, size_t end) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i last_control = _mm256_set1_epi8(0x1F);
    size_t index = start;
    while (index + 32 <= end) {
        __m256i chunk = _mm256_loadu_si256((const __m256i *)(bytes + index));
        __m256i special = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(chunk, quote), _mm256_cmpeq_epi8(chunk, backslash)),
            _mm256_cmpeq_epi8(_mm256_max_epu8(chunk, last_control), last_control));
        uint32_t mask = (uint32_t)_mm256_movemask_epi8(special) | (uint32_t)_mm256_movemask_epi8(chunk);
        if (mask) return index + (size_t)__builtin_ctz(mask);
        index += 32;
    }
    return plain_run_end_baseline(bytes, index, end);
}

__attribute__((target("avx512f,avx512bw"))) static size_t plain_run_end_avx512(
    const uint8_t *bytes, size_t start, size_t end) {
    const __m512i quote = _mm512_set1_epi8('"'), backslash = _mm512_set1_epi8('\\');
    const __m512i last_control = _mm512_set1_epi8(0x1F);
    size_t index = start;
    while (index < end) {
        size_t left = end - index;
        // The last block is read with a mask: bytes at or past `end` are neither loaded nor able to fault.
        __mmask64 valid = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        __m512i chunk = _mm512_maskz_loadu_epi8(valid, bytes + index);
        __mmask64 special = _mm512_cmpeq_epi8_mask(chunk, quote) | _mm512_cmpeq_epi8_mask(chunk, backslash)
                            | _mm512_cmple_epu8_mask(chunk, last_control) | _mm512_movepi8_mask(chunk);
        special &= valid;
        if (special) return index + (size_t)__builtin_ctzll(special);
        index += 64;
    }
    return end;
}

#endif

size_t json_plain_run_end_at_level(const uint8_t *bytes, size_t start, size_t end, int level) {
#if HAS_X86_LEVELS
    if (level >= 2) return plain_run_end_avx512(bytes, start, end);
    if (level == 1) return plain_run_end_avx2(bytes, start, end);
#endif
    (void)level;
    return plain_run_end_baseline(bytes, start, end);
}

size_t json_plain_run_end(const uint8_t *bytes, size_t start, size_t end) {
    return json_plain_run_end_at_level(bytes, start, end, json_structure_best_level());
}

json_skip_result json_skip_container_at_level(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth, int level) {
#if HAS_X86_LEVELS
    if (level >= 2) return skip_avx512(bytes, start, end, newline_ends_value, max_depth);
    if (level == 1) return skip_avx2(bytes, start, end, newline_ends_value, max_depth);
#endif
    (void)level;
    return skip_baseline(bytes, start, end, newline_ends_value, max_depth);
}

json_skip_result json_skip_container(
    const uint8_t *bytes, size_t start, size_t end, int newline_ends_value, int max_depth) {
    return json_skip_container_at_level(bytes, start, end, newline_ends_value, max_depth, json_structure_best_level());
}
