package dev.slmops.model.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.text.Collator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How transformers.js's Jinja runtime ({@code @huggingface/jinja}) turns template values into text: what
 * {@code {{ value }}} prints, what {@code |tojson} writes, which characters count as whitespace for
 * {@code strip()}/{@code trim}, and the string methods chat templates call. Our reference for chat templates
 * is transformers.js, so these follow its JavaScript semantics even where Python's Jinja differs (noted at
 * each method); see {@code package-info.java} for the full list.
 *
 * <p>Values are the plain Java shapes a template sees: {@code String}, {@code Boolean}, integral numbers
 * ({@code Long}/{@code Integer}), floating numbers ({@code Double}), {@code List}, {@code Map} and
 * {@code null} (JS's none and undefined both).
 */
final class JsValues {
    private JsValues() {
    }

    // ---- output of {{ value }} ----

    /** What {@code {{ value }}} renders: none → "", floats keep ".0", lists and dicts as JSON (", " / ": "). */
    static String display(Object value) {
        if (value == null) return "";
        if (value instanceof CharSequence s) return s.toString();
        if (value instanceof Boolean b) return b ? "true" : "false";
        if (isIntegral(value)) return value.toString();
        if (value instanceof Number n) return floatToString(n.doubleValue());
        if (value instanceof Map<?, ?> || value instanceof Collection<?> || value instanceof Object[]) {
            return toJson(value, new JsonStyle(null, false, null, false), 0, false);
        }
        return value.toString();
    }

    /** Integral Java numbers are JS IntegerValues; Double/Float/BigDecimal are FloatValues. */
    static boolean isIntegral(Object value) {
        return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger;
    }

    /** A JS FloatValue's toString: integral values get ".0" (2.0 → "2.0"), -0 → "-0.0", others as JS prints. */
    static String floatToString(double d) {
        if (d == 0 && 1 / d < 0) return "-0.0";
        if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 1e21) return jsNumber(d) + ".0";
        return jsNumber(d);
    }

    /**
     * JavaScript's Number-to-string (ECMA-262 Number::toString): shortest round-trip digits, plain notation for
     * 1e-7 ≤ |d| < 1e21, else {@code 1.5e+21} / {@code 1e-7}. Java's Double.toString gives the same shortest
     * digits (JDK 19+) but another layout, so only the layout is redone here.
     */
    static String jsNumber(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return "0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();   // k significant digits
        int k = digits.length();
        int n = k - bd.scale();                            // decimal point position: value = 0.digits × 10^n
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (k <= n && n <= 21) {
            sb.append(digits).append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            sb.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            sb.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            int e = n - 1;
            sb.append(digits.charAt(0));
            if (k > 1) sb.append('.').append(digits, 1, k);
            sb.append('e').append(e >= 0 ? "+" : "-").append(Math.abs(e));
        }
        return sb.toString();
    }

    // ---- tojson ----

    /** tojson's keyword arguments: indent (spaces or null), ensure_ascii, separators (item, key), sort_keys. */
    record JsonStyle(Integer indent, boolean ensureAscii, String[] separators, boolean sortKeys) {
        String itemSeparator() {
            return separators != null ? separators[0] : indent != null && indent > 0 ? "," : ", ";
        }

        String keySeparator() {
            return separators != null ? separators[1] : ": ";
        }
    }

    private static final Collator KEY_ORDER = Collator.getInstance(Locale.ROOT);

    /**
     * JSON text as transformers.js's tojson writes it, which follows Python's json.dumps layout: ", " between
     * items and ": " after keys (with indent: "," and newlines), non-ASCII kept unless ensure_ascii, key order
     * as given. {@code undefinedAsNull} is JS's distinction for printing lists with undefined members; with one
     * null for both, it only matters for the spelling.
     */
    static String toJson(Object value, JsonStyle style, int depth, boolean undefinedAsNull) {
        if (value == null) return "null";
        if (value instanceof Boolean b) return b.toString();
        if (isIntegral(value)) return value.toString();
        if (value instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? jsNumber(d) : "null";  // JSON.stringify(NaN) is null
        }
        if (value instanceof CharSequence s) return jsonString(s.toString(), style.ensureAscii());
        if (value instanceof Object[] array) value = List.of(array);
        String indentUnit = style.indent() != null && style.indent() > 0 ? " ".repeat(style.indent()) : "";
        boolean pretty = !indentUnit.isEmpty();
        String basePadding = "\n" + indentUnit.repeat(depth);
        String childPadding = basePadding + indentUnit;
        if (value instanceof Collection<?> list) {
            List<String> parts = new ArrayList<>(list.size());
            for (Object item : list) parts.add(toJson(item, style, depth + 1, undefinedAsNull));
            if (pretty && !parts.isEmpty()) {
                return "[" + childPadding + String.join(style.itemSeparator() + childPadding, parts) + basePadding + "]";
            }
            return "[" + String.join(style.itemSeparator(), parts) + "]";
        }
        if (value instanceof Map<?, ?> map) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (style.sortKeys()) entries.sort((a, b) -> KEY_ORDER.compare(String.valueOf(a.getKey()), String.valueOf(b.getKey())));
            List<String> parts = new ArrayList<>(entries.size());
            for (Map.Entry<?, ?> e : entries) {
                String v = jsonString(String.valueOf(e.getKey()), style.ensureAscii()) + style.keySeparator()
                        + toJson(e.getValue(), style, depth + 1, undefinedAsNull);
                parts.add(pretty ? childPadding + v : v);
            }
            if (pretty && !parts.isEmpty()) return "{" + String.join(style.itemSeparator(), parts) + basePadding + "}";
            return "{" + String.join(style.itemSeparator(), parts) + "}";
        }
        return jsonString(value.toString(), style.ensureAscii());
    }

    /**
     * JSON.stringify of a string: escapes {@code " \ \b \f \n \r \t}, other controls below U+0020 and lone
     * surrogates as backslash-u00xx (lowercase hex); everything else literal. ensure_ascii then escapes every
     * UTF-16 unit from U+007F up (JS's rule; Python starts at U+0080).
     */
    static String jsonString(String s, boolean ensureAscii) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    boolean loneSurrogate = Character.isSurrogate(c) && !(Character.isHighSurrogate(c)
                            && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                            && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || loneSurrogate || (ensureAscii && c >= 0x7f)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    // ---- strings ----

    /** JS's whitespace (String.prototype.trim and regex \s): Zs, tab, VT, FF, BOM and the line terminators. */
    static boolean isJsWhitespace(char c) {
        return c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r' || c == 0xFEFF || c == 0x2028
                || c == 0x2029 || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    static String trimStart(String s) {
        int i = 0;
        while (i < s.length() && isJsWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    static String trimEnd(String s) {
        int j = s.length();
        while (j > 0 && isJsWhitespace(s.charAt(j - 1))) j--;
        return s.substring(0, j);
    }

    static String trim(String s) {
        return trimStart(trimEnd(s));
    }

    /** JS titleCase: an ASCII letter/digit/_ after a non-word character is upper-cased; the rest is kept as is. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s);
        for (int i = 0; i < sb.length(); i++) {
            if (isAsciiWord(sb.charAt(i)) && (i == 0 || !isAsciiWord(sb.charAt(i - 1)))) {
                sb.setCharAt(i, Character.toUpperCase(sb.charAt(i)));
            }
        }
        return sb.toString();
    }

    private static boolean isAsciiWord(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
    }

    /** JS capitalize: first UTF-16 unit upper-cased, the rest unchanged (Python would lower-case the rest). */
    static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    /** Python's str.split(sep=None, maxsplit=-1) as transformers.js implements it. */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            String text = trimStart(s);
            int i = 0;
            while (i < text.length()) {
                while (i < text.length() && isJsWhitespace(text.charAt(i))) i++;
                if (i >= text.length()) break;
                if (maxsplit != -1 && out.size() >= maxsplit) {
                    out.add(text.substring(i));
                    break;
                }
                int j = i;
                while (j < text.length() && !isJsWhitespace(text.charAt(j))) j++;
                out.add(text.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (true) {
            int at = s.indexOf(sep, from);
            if (at < 0 || (maxsplit != -1 && out.size() >= maxsplit)) {
                out.add(s.substring(from));
                return out;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
    }

    /** Python's str.replace(old, new, count): left to right, non-overlapping; "" inserts between code points. */
    static String replace(String s, String old, String replacement, Long count) {
        long remaining = count == null || count < 0 ? Long.MAX_VALUE : count;
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            int i = 0;
            while (true) {
                if (remaining-- > 0) sb.append(replacement);
                if (i >= s.length()) break;
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            return sb.toString();
        }
        int from = 0;
        while (remaining > 0) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
            remaining--;
        }
        return sb.append(s, from, s.length()).toString();
    }

    /**
     * Python slicing {@code seq[start:stop:step]} as transformers.js computes it (null = omitted). Strings are
     * sliced by code point.
     */
    static <T> List<T> slice(List<T> items, Long start, Long stop, Long step) {
        long n = items.size();
        long st = step == null ? 1 : step;
        if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
        long a;
        long b;
        if (st > 0) {
            a = start == null ? 0 : start < 0 ? Math.max(n + start, 0) : Math.min(start, n);
            b = stop == null ? n : stop < 0 ? Math.max(n + stop, 0) : Math.min(stop, n);
        } else {
            a = start == null ? n - 1 : start < 0 ? Math.max(n + start, -1) : Math.min(start, n - 1);
            b = stop == null ? -1 : stop < -1 ? Math.max(n + stop, -1) : Math.min(stop, n - 1);
        }
        List<T> out = new ArrayList<>();
        long dir = Long.signum(st);
        for (long i = a; dir * i < dir * b; i += st) out.add(items.get((int) i));
        return out;
    }

    static String sliceString(String s, Long start, Long stop, Long step) {
        List<String> cps = new ArrayList<>();
        s.codePoints().forEach(cp -> cps.add(new String(Character.toChars(cp))));
        return String.join("", slice(cps, start, stop, step));
    }

    /** JS's loose truthiness as the Jinja runtime defines it: "", 0, none, empty list/dict are false. */
    static boolean truthy(Object v) {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof CharSequence s) return !s.isEmpty();
        if (v instanceof Number n) return n.doubleValue() != 0 && !Double.isNaN(n.doubleValue());
        if (v instanceof Collection<?> c) return !c.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }
}
