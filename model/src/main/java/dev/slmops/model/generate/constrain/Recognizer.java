package dev.slmops.model.generate.constrain;

import dev.slmops.model.generate.constrain.GrammarNode.AnyOf;
import dev.slmops.model.generate.constrain.GrammarNode.Arr;
import dev.slmops.model.generate.constrain.GrammarNode.Literal;
import dev.slmops.model.generate.constrain.GrammarNode.Num;
import dev.slmops.model.generate.constrain.GrammarNode.Obj;
import dev.slmops.model.generate.constrain.GrammarNode.Prop;
import dev.slmops.model.generate.constrain.GrammarNode.Ref;
import dev.slmops.model.generate.constrain.GrammarNode.Seq;
import dev.slmops.model.generate.constrain.GrammarNode.Str;
import dev.slmops.model.generate.constrain.GrammarNode.Ws;

import java.util.Arrays;

/**
 * A pushdown recognizer over bytes for a {@link GrammarNode}: it answers "is this byte string a prefix of some
 * valid output, and is it a whole one". States are immutable (persistent stacks of frames), so walking the
 * token trie can branch from a state without copying it, and several stacks are followed at once where the
 * grammar is ambiguous ({@code anyOf}, optional keys, a number that may or may not end).
 *
 * <p>Limits that keep every output finite and sane: at most {@code maxWhitespace} whitespace bytes in a row,
 * integers of at most {@value #MAX_INT_DIGITS} digits, fractions of {@value #MAX_FRAC_DIGITS}, exponents of
 * {@value #MAX_EXP_DIGITS}, nesting depth at most {@code maxDepth}.
 */
final class Recognizer {
    static final int MAX_INT_DIGITS = 16, MAX_FRAC_DIGITS = 16, MAX_EXP_DIGITS = 3;

    private final int maxWhitespace;
    private final int maxDepth;
    private final State start;

    Recognizer(GrammarNode root, int maxWhitespace, int maxDepth) {
        this.maxWhitespace = maxWhitespace;
        this.maxDepth = maxDepth;
        this.start = new State(this, new Stack[]{Stack.EMPTY.push(new WsThen(root, 0))});
    }

    /** The state before any byte. */
    State start() {
        return start;
    }

    /** A set of alternative stacks; immutable. */
    static final class State {
        private final Recognizer r;
        private final Stack[] stacks;

        private State(Recognizer r, Stack[] stacks) {
            this.r = r;
            this.stacks = stacks;
        }

        /** The state after byte {@code b} (0..255), or null when no valid output continues that way. */
        State advance(int b) {
            Out out = new Out();
            for (Stack s : stacks) r.advance(s, b, out);
            return out.size == 0 ? null : new State(r, out.size == out.items.length ? out.items : Arrays.copyOf(out.items, out.size));
        }

        /** The state after all of {@code bytes}, or null. */
        State advance(byte[] bytes) {
            State s = this;
            for (int i = 0; i < bytes.length && s != null; i++) s = s.advance(bytes[i] & 0xFF);
            return s;
        }

        /** The bytes so far form a whole valid output. */
        boolean isComplete() {
            for (Stack s : stacks) if (complete(s)) return true;
            return false;
        }

        /**
         * When the only stack is inside a plain string (no pattern, no excluded values, between characters): how
         * many more characters it may take; otherwise -1. Then any token of whole safe characters (no quote,
         * backslash or control byte) is allowed without walking it.
         */
        int plainStringRoom() {
            if (stacks.length != 1 || stacks[0] == Stack.EMPTY || !(stacks[0].top instanceof StrFrame f)) return -1;
            if (f.regex != null || f.text != null || f.need != 0 || f.escape != 0) return -1;
            return f.str.maxLength() - f.length;
        }

        /** Some byte may follow. */
        boolean canContinue() {
            for (Stack s : stacks) if (s != Stack.EMPTY) return true;
            return false;
        }

        private static boolean complete(Stack s) {
            for (; s != Stack.EMPTY; s = s.rest) if (!s.top.canEnd()) return false;
            return true;
        }
    }

    // ------------------------------------------------------------------ machinery

    /** A persistent stack of frames; EMPTY is the finished root. */
    static final class Stack {
        static final Stack EMPTY = new Stack(null, null, 0);
        final Frame top;
        final Stack rest;
        final int depth;

        private Stack(Frame top, Stack rest, int depth) {
            this.top = top;
            this.rest = rest;
            this.depth = depth;
        }

        Stack push(Frame f) {
            return new Stack(f, this, depth + 1);
        }
    }

    /** Successor stacks of one step. */
    static final class Out {
        Stack[] items = new Stack[4];
        int size;

        void add(Stack s) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = s;
        }
    }

    /** One open element: consumes a byte with {@code rest} below it. */
    abstract static class Frame {
        abstract void step(Recognizer r, int b, Stack rest, Out out);

        /** The element may end here (only numbers: everything else ends on its own closing byte). */
        boolean canEnd() {
            return false;
        }
    }

    private void advance(Stack s, int b, Out out) {
        if (s == Stack.EMPTY) return;
        s.top.step(this, b, s.rest, out);
        if (s.top.canEnd()) advance(s.rest, b, out);
    }

    private void push(Stack rest, Frame f, Out out) {
        if (rest.depth < maxDepth) out.add(rest.push(f));
    }

    static boolean isWhitespace(int b) {
        return b == ' ' || b == '\n' || b == '\t' || b == '\r';
    }

    /** Starts {@code node} with its first byte {@code b}, on top of {@code rest}. */
    private void enter(GrammarNode node, Stack rest, int b, Out out) {
        switch (node) {
            case Literal l -> {
                if ((l.bytes()[0] & 0xFF) != b) return;
                if (l.bytes().length == 1) out.add(rest);
                else push(rest, new LiteralFrame(l.bytes(), 1), out);
            }
            case Obj o -> {
                if (b == '{') push(rest, new ObjFrame(o, ObjFrame.AFTER_OPEN, 0, null, 0), out);
            }
            case Arr a -> {
                if (b == '[') push(rest, new ArrFrame(a, ArrFrame.AFTER_OPEN, 0, 0), out);
            }
            case Str s -> {
                if (b == '"') push(rest, StrFrame.open(s), out);
            }
            case Num n -> NumFrame.enter(this, n.integer(), b, rest, out);
            case AnyOf a -> {
                for (GrammarNode alt : a.alternatives()) enter(alt, rest, b, out);
            }
            case Seq q -> {
                Stack cont = q.parts().size() == 1 ? rest : rest.push(new SeqFrame(q, 1));
                enter(q.parts().getFirst(), cont, b, out);
            }
            case Ws w -> {
                if (isWhitespace(b)) {
                    if (maxWhitespace > 0) push(rest, new WsThen(w.node(), 1), out);
                } else enter(w.node(), rest, b, out);
            }
            case Ref ref -> enter(ref.target(), rest, b, out);
        }
    }

    private static final class LiteralFrame extends Frame {
        final byte[] bytes;
        final int pos;

        LiteralFrame(byte[] bytes, int pos) {
            this.bytes = bytes;
            this.pos = pos;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            if ((bytes[pos] & 0xFF) != b) return;
            if (pos + 1 == bytes.length) out.add(rest);
            else out.add(rest.push(new LiteralFrame(bytes, pos + 1)));
        }
    }

    private static final class SeqFrame extends Frame {
        final Seq seq;
        final int next;

        SeqFrame(Seq seq, int next) {
            this.seq = seq;
            this.next = next;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            Stack cont = next + 1 == seq.parts().size() ? rest : rest.push(new SeqFrame(seq, next + 1));
            r.enter(seq.parts().get(next), cont, b, out);
        }
    }

    private static final class WsThen extends Frame {
        final GrammarNode node;
        final int count;

        WsThen(GrammarNode node, int count) {
            this.node = node;
            this.count = count;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            if (isWhitespace(b)) {
                if (count < r.maxWhitespace) out.add(rest.push(new WsThen(node, count + 1)));
            } else r.enter(node, rest, b, out);
        }
    }

    private static final class ObjFrame extends Frame {
        static final int AFTER_OPEN = 0, AFTER_KEY = 1, BEFORE_VALUE = 2, AFTER_VALUE = 3, AFTER_COMMA = 4;
        final Obj obj;
        final int phase;
        final int next;            // index of the first declared property not yet written or skipped
        final GrammarNode value;   // the value to come (AFTER_KEY, BEFORE_VALUE)
        final int ws;              // whitespace bytes in a row so far

        ObjFrame(Obj obj, int phase, int next, GrammarNode value, int ws) {
            this.obj = obj;
            this.phase = phase;
            this.next = next;
            this.value = value;
            this.ws = ws;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            if (isWhitespace(b)) {
                if (ws < r.maxWhitespace) out.add(rest.push(new ObjFrame(obj, phase, next, value, ws + 1)));
                return;
            }
            switch (phase) {
                case AFTER_OPEN -> {
                    if (b == '}' && closable()) out.add(rest);
                    else if (b == '"') keys(r, b, rest, out);
                }
                case AFTER_KEY -> {
                    if (b == ':') out.add(rest.push(new ObjFrame(obj, BEFORE_VALUE, next, value, 0)));
                }
                case BEFORE_VALUE -> r.enter(value, rest.push(new ObjFrame(obj, AFTER_VALUE, next, null, 0)), b, out);
                case AFTER_VALUE -> {
                    if (b == '}' && closable()) out.add(rest);
                    else if (b == ',' && moreKeys()) out.add(rest.push(new ObjFrame(obj, AFTER_COMMA, next, null, 0)));
                }
                case AFTER_COMMA -> {
                    if (b == '"') keys(r, b, rest, out);
                }
                default -> throw new AssertionError(phase);
            }
        }

        /** No required property is left. */
        private boolean closable() {
            for (int i = next; i < obj.props().size(); i++) if (obj.props().get(i).required()) return false;
            return true;
        }

        private boolean moreKeys() {
            return next < obj.props().size() || obj.additionalOrNull() != null;
        }

        /** Every key that may come next: declared ones up to the first required one, then additional keys. */
        private void keys(Recognizer r, int b, Stack rest, Out out) {
            for (int i = next; i < obj.props().size(); i++) {
                Prop p = obj.props().get(i);
                r.enter(p.keyLiteral(), rest.push(new ObjFrame(obj, AFTER_KEY, i + 1, p.value(), 0)), b, out);
                if (p.required()) return;
            }
            if (obj.additionalOrNull() != null) {
                r.enter(additionalKey(), rest.push(new ObjFrame(obj, AFTER_KEY, obj.props().size(),
                        obj.additionalOrNull(), 0)), b, out);
            }
        }

        private Str additionalKey() {
            if (obj.props().isEmpty()) return ANY_KEY;
            java.util.Set<String> names = new java.util.HashSet<>();
            for (Prop p : obj.props()) names.add(p.name());
            return new Str(0, Integer.MAX_VALUE, names, null);
        }

        private static final Str ANY_KEY = Str.any();
    }

    private static final class ArrFrame extends Frame {
        static final int AFTER_OPEN = 0, AFTER_ITEM = 1, AFTER_COMMA = 2;
        final Arr arr;
        final int phase;
        final int count;  // items written
        final int ws;

        ArrFrame(Arr arr, int phase, int count, int ws) {
            this.arr = arr;
            this.phase = phase;
            this.count = count;
            this.ws = ws;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            if (isWhitespace(b)) {
                if (ws < r.maxWhitespace) out.add(rest.push(new ArrFrame(arr, phase, count, ws + 1)));
                return;
            }
            switch (phase) {
                case AFTER_OPEN -> {
                    if (b == ']') {
                        if (arr.minItems() == 0) out.add(rest);
                    } else if (arr.maxItems() > 0) {
                        r.enter(arr.items(), rest.push(new ArrFrame(arr, AFTER_ITEM, 1, 0)), b, out);
                    }
                }
                case AFTER_ITEM -> {
                    if (b == ']' && count >= arr.minItems()) out.add(rest);
                    else if (b == ',' && count < arr.maxItems()) out.add(rest.push(new ArrFrame(arr, AFTER_COMMA, count, 0)));
                }
                case AFTER_COMMA -> r.enter(arr.items(), rest.push(new ArrFrame(arr, AFTER_ITEM, count + 1, 0)), b, out);
                default -> throw new AssertionError(phase);
            }
        }
    }

    /** Inside a JSON string, after the opening quote. */
    private static final class StrFrame extends Frame {
        final Str str;
        final int length;        // characters so far
        final int need;          // UTF-8 continuation bytes still expected
        final int escape;        // 0 none, 1 after '\', 2..5 after "\\u" and escape-2 hex digits;
                                 // while need > 0: the UTF-8 sequence's length (to refuse overlong forms)
        final int codePoint;     // the character being assembled (UTF-8 or \\u)
        final int[] regex;       // pattern states, or null without a pattern
        final String text;       // the characters so far, kept only when some values are excluded

        StrFrame(Str str, int length, int need, int escape, int codePoint, int[] regex, String text) {
            this.str = str;
            this.length = length;
            this.need = need;
            this.escape = escape;
            this.codePoint = codePoint;
            this.regex = regex;
            this.text = text;
        }

        static StrFrame open(Str s) {
            return new StrFrame(s, 0, 0, 0, 0, s.patternOrNull() == null ? null : s.patternOrNull().start(),
                    s.excluded().isEmpty() ? null : "");
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            if (need > 0) {
                if ((b & 0xC0) != 0x80) return;
                int cp = (codePoint << 6) | (b & 0x3F);
                // Refuse at the second byte what can only end overlong, as a surrogate or above U+10FFFF.
                if (escape == 3 && need == 2 && (cp < 0x20 || (cp >= 0x360 && cp <= 0x37F))) return;
                if (escape == 4 && need == 3 && (cp < 0x10 || cp > 0x10F)) return;
                if (need > 1 && !viable(cp << (6 * (need - 1)), ((cp + 1) << (6 * (need - 1))) - 1)) return;
                if (need == 1) {
                    int min = escape == 4 ? 0x10000 : escape == 3 ? 0x800 : 0x80;
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp < min) return;
                    character(cp, rest, out);
                } else {
                    out.add(rest.push(new StrFrame(str, length, need - 1, escape, cp, regex, text)));
                }
                return;
            }
            if (escape == 1) {
                int cp = switch (b) {
                    case '"' -> '"';
                    case '\\' -> '\\';
                    case '/' -> '/';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case 'u' -> -2;
                    default -> -1;
                };
                if (cp == -2) {
                    if (viable(0, 0xFFFF)) out.add(rest.push(new StrFrame(str, length, 0, 2, 0, regex, text)));
                }
                else if (cp >= 0) character(cp, rest, out);
                return;
            }
            if (escape >= 2) {
                int digit = Character.digit(b, 16);
                if (digit < 0) return;
                int cp = (codePoint << 4) | digit;
                if (escape == 3 && cp >= 0xD8 && cp <= 0xDF) return; // a surrogate: never completes alone
                int shift = 4 * (5 - escape);                         // bits still to come
                if (escape < 5 && !viable(cp << shift, ((cp + 1) << shift) - 1)) return;
                if (escape < 5) out.add(rest.push(new StrFrame(str, length, 0, escape + 1, cp, regex, text)));
                else if (cp < 0xD800 || cp > 0xDFFF) character(cp, rest, out); // lone surrogates: not produced
                return;
            }
            if (b == '"') {
                if (length >= str.minLength() && (regex == null || str.patternOrNull().accepts(regex))
                        && (text == null || !str.excluded().contains(text))) {
                    out.add(rest);
                }
                return;
            }
            if (length >= str.maxLength()) return;
            if (b == '\\') {
                if (viable(0, 0xFFFF)) out.add(rest.push(new StrFrame(str, length, 0, 1, 0, regex, text)));
            } else if (b < 0x20) return;  // control characters must be escaped
            else if (b < 0x80) character(b, rest, out);
            else if (b >= 0xC2 && b <= 0xDF && viable((b & 0x1F) << 6, ((b & 0x1F) << 6) | 0x3F)) out.add(rest.push(new StrFrame(str, length, 1, 2, b & 0x1F, regex, text)));
            else if (b >= 0xE0 && b <= 0xEF && viable(Math.max(0x800, (b & 0x0F) << 12), ((b & 0x0F) << 12) | 0xFFF)) out.add(rest.push(new StrFrame(str, length, 2, 3, b & 0x0F, regex, text)));
            else if (b >= 0xF0 && b <= 0xF4 && viable(Math.max(0x10000, (b & 0x07) << 18), ((b & 0x07) << 18) | 0x3FFFF)) out.add(rest.push(new StrFrame(str, length, 3, 4, b & 0x07, regex, text)));
        }

        /** Some character in lo..hi may come next (always, without a pattern). */
        private boolean viable(int lo, int hi) {
            return regex == null || str.patternOrNull().canStep(regex, lo, hi, (long) str.maxLength() - length - 1);
        }

        /** One more whole character. */
        private void character(int cp, Stack rest, Out out) {
            int[] nextRegex = regex;
            if (regex != null) {
                nextRegex = str.patternOrNull().step(regex, cp);
                if (nextRegex == null) return;
                // Never enter a state from which the pattern cannot match within maxLength: a dead end.
                if ((long) length + 1 + str.patternOrNull().minRemaining(nextRegex) > str.maxLength()) return;
            }
            String nextText = text == null ? null : text + Character.toString(cp);
            out.add(rest.push(new StrFrame(str, length + 1, 0, 0, 0, nextRegex, nextText)));
        }
    }

    /** Inside a JSON number. */
    private static final class NumFrame extends Frame {
        static final int SIGN = 0, ZERO = 1, INT = 2, DOT = 3, FRAC = 4, E = 5, E_SIGN = 6, EXP = 7;
        final boolean integer;
        final int phase;
        final int digits; // digits in the current part

        NumFrame(boolean integer, int phase, int digits) {
            this.integer = integer;
            this.phase = phase;
            this.digits = digits;
        }

        static void enter(Recognizer r, boolean integer, int b, Stack rest, Out out) {
            if (b == '-') r.push(rest, new NumFrame(integer, SIGN, 0), out);
            else if (b == '0') r.push(rest, new NumFrame(integer, ZERO, 1), out);
            else if (b >= '1' && b <= '9') r.push(rest, new NumFrame(integer, INT, 1), out);
        }

        @Override
        boolean canEnd() {
            return phase == ZERO || phase == INT || phase == FRAC || phase == EXP;
        }

        @Override
        void step(Recognizer r, int b, Stack rest, Out out) {
            boolean digit = b >= '0' && b <= '9';
            switch (phase) {
                case SIGN -> {
                    if (b == '0') to(rest, ZERO, 1, out);
                    else if (digit) to(rest, INT, 1, out);
                }
                case ZERO, INT -> {
                    if (digit && phase == INT && digits < MAX_INT_DIGITS) to(rest, INT, digits + 1, out);
                    else if (!integer && b == '.') to(rest, DOT, 0, out);
                    else if (!integer && (b == 'e' || b == 'E')) to(rest, E, 0, out);
                }
                case DOT -> {
                    if (digit) to(rest, FRAC, 1, out);
                }
                case FRAC -> {
                    if (digit && digits < MAX_FRAC_DIGITS) to(rest, FRAC, digits + 1, out);
                    else if (b == 'e' || b == 'E') to(rest, E, 0, out);
                }
                case E -> {
                    if (b == '+' || b == '-') to(rest, E_SIGN, 0, out);
                    else if (digit) to(rest, EXP, 1, out);
                }
                case E_SIGN -> {
                    if (digit) to(rest, EXP, 1, out);
                }
                case EXP -> {
                    if (digit && digits < MAX_EXP_DIGITS) to(rest, EXP, digits + 1, out);
                }
                default -> throw new AssertionError(phase);
            }
        }

        private void to(Stack rest, int phase, int digits, Out out) {
            out.add(rest.push(new NumFrame(integer, phase, digits)));
        }
    }
}
