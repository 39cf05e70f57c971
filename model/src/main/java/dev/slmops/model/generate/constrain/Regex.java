package dev.slmops.model.generate.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The subset of ECMA-262 regular expressions that JSON Schema {@code pattern}s use in practice, compiled to a
 * Thompson NFA over code points so that a string can be checked one character at a time while it is generated.
 *
 * <p>Supported: literals, {@code .}, classes {@code [a-z_]} / {@code [^...]}, {@code \d \w \s} (and negations),
 * escapes ({@code \. \n \t} and backslash-u with four hex digits), groups {@code (...)} and {@code (?:...)}, alternation, quantifiers
 * {@code * + ? {n} {n,} {n,m}} (a lazy {@code ?} suffix is accepted: it changes nothing for a full match), and
 * {@code ^}/{@code $} at the very start/end. As in JSON Schema a pattern without {@code ^} (or {@code $}) may be
 * preceded (followed) by anything. Rejected with {@link IllegalArgumentException}: back-references, look-around,
 * word boundaries, anchors elsewhere, repetition counts above {@value #MAX_REPEAT}.
 *
 * <p>States are immutable sorted int arrays (the epsilon closure), so a recognizer state can share them.
 */
final class Regex {
    static final int MAX_REPEAT = 256;
    private static final int MAX_STATES = 20_000;

    // NFA: for each state, either a character set (ranges, sorted pairs lo..hi) leading to out1, or a split to
    // out1 and out2 (epsilon edges; out2 = -1 for a single epsilon edge), or the match state.
    private final List<int[]> sets = new ArrayList<>();   // [state] -> ranges or null
    private final List<int[]> outs = new ArrayList<>();   // [state] -> {out1, out2}
    private int match;
    private int[] start;
    private int[] distance; // [state] fewest characters from the state to a match (MAX_VALUE: never)
    private final String source;

    private Regex(String source) {
        this.source = source;
    }

    static Regex compile(String pattern) {
        Regex r = new Regex(pattern);
        String body = pattern;
        boolean anchoredStart = body.startsWith("^");
        if (anchoredStart) body = body.substring(1);
        boolean anchoredEnd = body.endsWith("$") && !body.endsWith("\\$");
        if (anchoredEnd) body = body.substring(0, body.length() - 1);
        Parser p = new Parser(body, pattern);
        Ast ast = p.alternation();
        if (p.pos != body.length()) throw p.error("unbalanced ')'");
        Ast anything = new Repeat(new CharSet(new int[]{0, 0x10FFFF}), 0, -1);
        List<Ast> parts = new ArrayList<>();
        if (!anchoredStart) parts.add(anything);
        parts.add(ast);
        if (!anchoredEnd) parts.add(anything);
        r.match = r.newState(null);
        int entry = r.build(new Concat(parts), r.match);
        r.start = r.closure(new int[]{entry});
        r.distance = r.distances();
        return r;
    }

    String source() {
        return source;
    }

    int[] start() {
        return start;
    }

    /** The states after one more character, or null when the string can no longer match. */
    int[] step(int[] states, int codePoint) {
        int[] next = new int[states.length];
        int n = 0;
        for (int s : states) {
            int[] set = sets.get(s);
            if (set != null && contains(set, codePoint)) next[n++] = outs.get(s)[0];
        }
        if (n == 0) return null;
        return closure(Arrays.copyOf(next, n));
    }

    /**
     * Whether some character in {@code lo..hi} moves {@code states} on to states that can still match within
     * {@code budget} more characters: lets a string refuse the first byte of a character no completion accepts.
     */
    boolean canStep(int[] states, int lo, int hi, long budget) {
        if (budget < 0) return false;
        for (int s : states) {
            int[] set = sets.get(s);
            if (set == null || distance[outs.get(s)[0]] > budget) continue;
            for (int i = 0; i < set.length; i += 2) if (set[i] <= hi && set[i + 1] >= lo) return true;
        }
        return false;
    }

    /** The fewest characters that take one of {@code states} to a match (MAX_VALUE when none can). */
    int minRemaining(int[] states) {
        int m = Integer.MAX_VALUE;
        for (int s : states) m = Math.min(m, distance[s]);
        return m;
    }

    private int[] distances() {
        int n = sets.size();
        int[] d = new int[n];
        Arrays.fill(d, Integer.MAX_VALUE);
        d[match] = 0;
        for (boolean changed = true; changed; ) { // relax until stable: epsilon edges cost 0, characters 1
            changed = false;
            for (int s = 0; s < n; s++) {
                if (s == match) continue;
                int[] o = outs.get(s);
                int best = d[s];
                if (sets.get(s) != null) {
                    if (o[0] >= 0 && d[o[0]] != Integer.MAX_VALUE) best = Math.min(best, d[o[0]] + 1);
                } else {
                    for (int t : o) if (t >= 0 && d[t] < best) best = d[t];
                }
                if (best < d[s]) { d[s] = best; changed = true; }
            }
        }
        return d;
    }

    boolean accepts(int[] states) {
        return Arrays.binarySearch(states, match) >= 0;
    }

    /** Naive reference: whether the whole string matches (used by tests and by {@code const} checks). */
    boolean matches(String text) {
        int[] s = start;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            s = step(s, cp);
            if (s == null) return false;
            i += Character.charCount(cp);
        }
        return accepts(s);
    }

    private static boolean contains(int[] ranges, int cp) {
        for (int i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
        return false;
    }

    private int[] closure(int[] seeds) {
        boolean[] seen = new boolean[sets.size()];
        int[] stack = new int[sets.size()];
        int sp = 0;
        for (int s : seeds) if (!seen[s]) { seen[s] = true; stack[sp++] = s; }
        int count = 0;
        int[] result = new int[sets.size()];
        while (sp > 0) {
            int s = stack[--sp];
            if (sets.get(s) != null || s == match) result[count++] = s;
            if (sets.get(s) == null && s != match) {
                for (int o : outs.get(s)) if (o >= 0 && !seen[o]) { seen[o] = true; stack[sp++] = o; }
            }
        }
        int[] r = Arrays.copyOf(result, count);
        Arrays.sort(r);
        return r;
    }

    private int newState(int[] set) {
        if (sets.size() >= MAX_STATES) throw new IllegalArgumentException("pattern /" + source + "/ is too large");
        sets.add(set);
        outs.add(new int[]{-1, -1});
        return sets.size() - 1;
    }

    /** Builds {@code ast} so that it continues to {@code next}; returns its entry state. */
    private int build(Ast ast, int next) {
        return switch (ast) {
            case CharSet c -> {
                int s = newState(c.ranges);
                outs.get(s)[0] = next;
                yield s;
            }
            case Concat c -> {
                int entry = next;
                for (int i = c.parts.size() - 1; i >= 0; i--) entry = build(c.parts.get(i), entry);
                yield entry;
            }
            case Alt a -> {
                int s = newState(null);
                int[] o = outs.get(s);
                List<Integer> entries = new ArrayList<>();
                for (Ast alt : a.alternatives) entries.add(build(alt, next));
                // A chain of splits: s -> e0 | (s1 -> e1 | ...).
                int cur = s;
                for (int i = 0; i < entries.size(); i++) {
                    int[] co = outs.get(cur);
                    co[0] = entries.get(i);
                    if (i == entries.size() - 1) break;
                    if (i == entries.size() - 2) {
                        co[1] = entries.get(i + 1);
                        break;
                    }
                    int nxt = newState(null);
                    co[1] = nxt;
                    cur = nxt;
                }
                if (o[0] < 0) o[0] = next;
                yield s;
            }
            case Repeat r -> {
                int entry = next;
                if (r.max < 0) { // x{min,}: min copies, then a loop
                    int loop = newState(null);
                    int body = build(r.body, loop);
                    outs.get(loop)[0] = body;
                    outs.get(loop)[1] = next;
                    entry = loop;
                } else {
                    for (int i = r.max; i > r.min; i--) { // optional copies
                        int split = newState(null);
                        outs.get(split)[0] = build(r.body, entry);
                        outs.get(split)[1] = next;
                        entry = split;
                    }
                }
                for (int i = 0; i < r.min; i++) entry = build(r.body, entry);
                yield entry;
            }
        };
    }

    // ------------------------------------------------------------------ parsing

    private sealed interface Ast permits CharSet, Concat, Alt, Repeat {
    }

    private record CharSet(int[] ranges) implements Ast {
    }

    private record Concat(List<Ast> parts) implements Ast {
    }

    private record Alt(List<Ast> alternatives) implements Ast {
    }

    /** @param max -1 = unbounded */
    private record Repeat(Ast body, int min, int max) implements Ast {
    }

    private static final int[] DIGIT = {'0', '9'};
    private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
    private static final int[] SPACE = {'\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x2028, 0x2029, 0xFEFF, 0xFEFF};
    private static final int[] DOT = {0, '\n' - 1, '\n' + 1, '\r' - 1, '\r' + 1, 0x10FFFF};

    private static final class Parser {
        final String s;
        final String whole;
        int pos;

        Parser(String s, String whole) {
            this.s = s;
            this.whole = whole;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("pattern /" + whole + "/: " + what + " (at offset " + pos
                    + "); supported: literals . [] \\d \\w \\s groups | * + ? {n,m} and ^ $ at the ends");
        }

        Ast alternation() {
            List<Ast> alts = new ArrayList<>();
            alts.add(sequence());
            while (pos < s.length() && s.charAt(pos) == '|') {
                pos++;
                alts.add(sequence());
            }
            return alts.size() == 1 ? alts.getFirst() : new Alt(alts);
        }

        Ast sequence() {
            List<Ast> parts = new ArrayList<>();
            while (pos < s.length() && s.charAt(pos) != '|' && s.charAt(pos) != ')') {
                Ast atom = atom();
                parts.add(quantified(atom));
            }
            return new Concat(parts);
        }

        Ast quantified(Ast atom) {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                int min, max;
                if (c == '*') { min = 0; max = -1; pos++; }
                else if (c == '+') { min = 1; max = -1; pos++; }
                else if (c == '?') { min = 0; max = 1; pos++; }
                else if (c == '{' && isCount()) {
                    pos++;
                    min = number();
                    max = min;
                    if (s.charAt(pos) == ',') {
                        pos++;
                        max = s.charAt(pos) == '}' ? -1 : number();
                    }
                    pos++; // '}'
                    if (max >= 0 && max < min) throw error("{" + min + "," + max + "} has max < min");
                    if (min > MAX_REPEAT || max > MAX_REPEAT) throw error("a repetition count above " + MAX_REPEAT);
                } else break;
                if (pos < s.length() && s.charAt(pos) == '?') pos++; // lazy: same language
                atom = new Repeat(atom, min, max);
            }
            return atom;
        }

        boolean isCount() {
            int p = pos + 1;
            int digits = 0;
            while (p < s.length() && Character.isDigit(s.charAt(p))) { p++; digits++; }
            if (digits == 0 || p >= s.length()) return false;
            if (s.charAt(p) == ',') {
                p++;
                while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
            }
            return p < s.length() && s.charAt(p) == '}';
        }

        int number() {
            int start = pos;
            while (Character.isDigit(s.charAt(pos))) pos++;
            try {
                return Integer.parseInt(s.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("a repetition count too large");
            }
        }

        Ast atom() {
            char c = s.charAt(pos);
            switch (c) {
                case '(' -> {
                    pos++;
                    if (s.startsWith("?:", pos)) pos += 2;
                    else if (pos < s.length() && s.charAt(pos) == '?') throw error("look-around and named groups are not supported");
                    Ast inner = alternation();
                    if (pos >= s.length() || s.charAt(pos) != ')') throw error("missing ')'");
                    pos++;
                    return inner;
                }
                case '[' -> {
                    return charClass();
                }
                case '.' -> {
                    pos++;
                    return new CharSet(DOT);
                }
                case '\\' -> {
                    pos++;
                    return new CharSet(escape(false));
                }
                case '^', '$' -> throw error("anchors are supported only at the start and end of the pattern");
                case '*', '+', '?' -> throw error("nothing to repeat");
                default -> {
                    int cp = s.codePointAt(pos);
                    pos += Character.charCount(cp);
                    return new CharSet(new int[]{cp, cp});
                }
            }
        }

        /** After a backslash: the ranges it stands for. */
        int[] escape(boolean inClass) {
            if (pos >= s.length()) throw error("a trailing backslash");
            char c = s.charAt(pos++);
            return switch (c) {
                case 'd' -> DIGIT;
                case 'D' -> negate(DIGIT);
                case 'w' -> WORD;
                case 'W' -> negate(WORD);
                case 's' -> SPACE;
                case 'S' -> negate(SPACE);
                case 'n' -> new int[]{'\n', '\n'};
                case 't' -> new int[]{'\t', '\t'};
                case 'r' -> new int[]{'\r', '\r'};
                case 'f' -> new int[]{'\f', '\f'};
                case 'v' -> new int[]{0x0B, 0x0B};
                case 'u' -> {
                    if (pos + 4 > s.length()) throw error("\\u needs four hex digits");
                    int cp;
                    try {
                        cp = Integer.parseInt(s.substring(pos, pos + 4), 16);
                    } catch (NumberFormatException e) {
                        throw error("\\u needs four hex digits");
                    }
                    pos += 4;
                    yield new int[]{cp, cp};
                }
                case 'b' -> {
                    if (inClass) yield new int[]{8, 8};
                    throw error("word boundaries (\\b) are not supported");
                }
                default -> {
                    if (Character.isLetterOrDigit(c)) throw error("the escape \\" + c + " is not supported");
                    yield new int[]{c, c};
                }
            };
        }

        Ast charClass() {
            pos++; // '['
            boolean negated = pos < s.length() && s.charAt(pos) == '^';
            if (negated) pos++;
            List<int[]> parts = new ArrayList<>();
            boolean first = true;
            while (true) {
                if (pos >= s.length()) throw error("missing ']'");
                char c = s.charAt(pos);
                if (c == ']' && !first) { pos++; break; }
                first = false;
                int[] lo;
                if (c == '\\') { pos++; lo = escape(true); } else { int cp = s.codePointAt(pos); pos += Character.charCount(cp); lo = new int[]{cp, cp}; }
                if (lo.length == 2 && lo[0] == lo[1] && pos + 1 < s.length() && s.charAt(pos) == '-' && s.charAt(pos + 1) != ']') {
                    pos++;
                    int[] hi;
                    if (s.charAt(pos) == '\\') { pos++; hi = escape(true); } else { int cp = s.codePointAt(pos); pos += Character.charCount(cp); hi = new int[]{cp, cp}; }
                    if (hi.length != 2 || hi[0] != hi[1] || hi[0] < lo[0]) throw error("a bad class range");
                    parts.add(new int[]{lo[0], hi[0]});
                } else {
                    parts.add(lo);
                }
            }
            int[] ranges = normalize(parts);
            return new CharSet(negated ? negate(ranges) : ranges);
        }
    }

    /** Sorted, merged ranges. */
    static int[] normalize(List<int[]> parts) {
        List<int[]> pairs = new ArrayList<>();
        for (int[] p : parts) for (int i = 0; i < p.length; i += 2) pairs.add(new int[]{p[i], p[i + 1]});
        pairs.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] p : pairs) {
            if (!merged.isEmpty() && p[0] <= merged.getLast()[1] + 1) {
                merged.getLast()[1] = Math.max(merged.getLast()[1], p[1]);
            } else merged.add(p.clone());
        }
        int[] r = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) { r[2 * i] = merged.get(i)[0]; r[2 * i + 1] = merged.get(i)[1]; }
        return r;
    }

    static int[] negate(int[] ranges) {
        int[] sorted = normalize(List.of(ranges));
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < sorted.length; i += 2) {
            if (sorted[i] > next) out.add(new int[]{next, sorted[i] - 1});
            next = sorted[i + 1] + 1;
        }
        if (next <= 0x10FFFF) out.add(new int[]{next, 0x10FFFF});
        return normalize(out);
    }
}
