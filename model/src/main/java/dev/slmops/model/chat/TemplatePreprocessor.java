package dev.slmops.model.chat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a Hugging Face chat template into text Jinjava renders the way transformers.js does (each rewrite
 * is listed with its reason in {@code package-info.java}). All whitespace handling happens here so Jinjava's
 * own (which differs in its details) never runs:
 * <ol>
 *   <li>the HF source pass: drop one trailing newline; {@code lstrip_blocks} (spaces/tabs before {@code {%}
 *       {@code {#} at a line start); {@code trim_blocks} (the newline after {@code %}} / {@code #}});
 *       {@code {% generation %}} / {@code {% endgeneration %}} removed;</li>
 *   <li>{@code {%-}, {@code -%}} and friends: the neighbouring whitespace (JS's {@code \s}) is removed here and
 *       the hyphens dropped; comments are dropped;</li>
 *   <li>inside tags, on the source text: {@code x.k is defined/none} and friends become container lookups;
 *       string literals are re-spelled for Jinjava's scanner; slices become a slice-marker subscript; the operand
 *       of {@code not} and keyword-argument values get parentheses; {@code namespace(...)} becomes ours; unknown
 *       filters become one that fails; every {@code {{ expr }}} prints through the display filter.</li>
 * </ol>
 * The output is only ever given to {@link TemplateEngine}; names starting {@code __slmops_} are ours.
 */
final class TemplatePreprocessor {
    /** Whether Jinjava has a filter of this name. */
    private final Predicate<String> isFilter;
    /** Whether Jinjava has a test ({@code x is name}) of this name. */
    private final Predicate<String> isTest;
    /** Names the template assigns ({@code set}, {@code for}, macro parameters). */
    private final Set<String> assignedNames;

    private TemplatePreprocessor(Predicate<String> isFilter, Predicate<String> isTest, Set<String> assignedNames) {
        this.isFilter = isFilter;
        this.isTest = isTest;
        this.assignedNames = assignedNames;
    }

    private static final Pattern ASSIGNMENT = Pattern.compile(
            "\\{%-?\\s*(?:set|for)\\s+([A-Za-z_][\\w\\s,]*?)\\s*(?:=|\\bin\\b|%}|-%})|\\{%-?\\s*macro\\s+\\w+\\s*\\(([^)]*)\\)");

    /** Every name a set/for/macro tag of the template binds. */
    static Set<String> assignedNames(String template) {
        Set<String> names = new HashSet<>();
        Matcher m = ASSIGNMENT.matcher(template);
        while (m.find()) {
            String list = m.group(1) != null ? m.group(1) : m.group(2);
            for (String part : list.split(",")) {
                String name = part.split("=")[0].strip();
                if (!name.isEmpty()) names.add(name);
            }
        }
        return names;
    }

    static final String SLICE_FUNCTION = "__slmops_slice";
    static final String DISPLAY_FILTER = "__slmops_display";

    private static final Pattern LSTRIP = Pattern.compile("^[ \\t]*(\\{[#%-])", Pattern.MULTILINE);
    private static final Pattern TRIM = Pattern.compile("([#%-]})\\n");
    private static final Pattern GENERATION = Pattern.compile("(\\s*)\\{%(-?)\\s*(?:end)?generation\\s*(-?)%}(\\s*)",
            Pattern.DOTALL);

    static final String UNKNOWN_FILTER = "__slmops_unknown_filter";
    static final String UNKNOWN_TEST = "__slmops_unknown_test";

    /**
     * The Jinjava source for an HF template; a malformed template gives IllegalArgumentException. Filters for
     * which {@code isFilter} is false become {@code __slmops_unknown_filter("name")}, and tests for which
     * {@code isTest} is false {@code __slmops_unknown_test "name"}: both fail when used (Jinjava would silently
     * give none / false; transformers.js fails).
     */
    static String toJinjava(String template, Predicate<String> isFilter, Predicate<String> isTest) {
        String source = hfSourcePass(template);
        return new TemplatePreprocessor(isFilter, isTest, assignedNames(source)).rewriteTags(source);
    }

    /** transformers.js's preprocess(): trailing newline, lstrip_blocks, trim_blocks, generation tags. */
    static String hfSourcePass(String template) {
        String t = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        t = LSTRIP.matcher(t).replaceAll("$1");
        t = TRIM.matcher(t).replaceAll("$1");
        Matcher m = GENERATION.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String keep = (m.group(2).isEmpty() ? m.group(1) : "") + (m.group(3).isEmpty() ? m.group(4) : "");
            m.appendReplacement(sb, Matcher.quoteReplacement(keep));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Splits into text and tags, applies the hyphen whitespace control, and rewrites each tag's inside. */
    private String rewriteTags(String src) {
        List<String> out = new ArrayList<>();      // pieces; text pieces are trimmed in place by a following {%-
        List<Boolean> isText = new ArrayList<>();
        int i = 0;
        int n = src.length();
        while (i < n) {
            int open = findTagStart(src, i);
            if (open > i || open < 0) {
                int end = open < 0 ? n : open;
                out.add(src.substring(i, end));
                isText.add(true);
                if (open < 0) break;
                i = open;
            }
            char kind = src.charAt(i + 1);                 // '{', '%' or '#'
            int bodyStart = i + 2;
            boolean stripBefore = bodyStart < n && src.charAt(bodyStart) == '-';
            if (stripBefore) {
                bodyStart++;
                trimLastText(out, isText);
            }
            if (kind == '#') {
                int close = src.indexOf("#}", bodyStart);
                if (close < 0) throw new IllegalArgumentException("chat template: missing end of comment tag '#}'");
                boolean stripAfter = close > bodyStart && src.charAt(close - 1) == '-';
                i = close + 2;
                if (stripAfter) i = skipWhitespace(src, i);
                continue;
            }
            int[] closeAt = findTagEnd(src, bodyStart, kind);
            int bodyEnd = closeAt[0];
            boolean stripAfter = closeAt[1] == 1;
            String body = src.substring(bodyStart, bodyEnd);
            // a macro's parameter list keeps its k=default spelling (Jinjava's macro tag parses it itself)
            String tested = rewriteExistenceTests(body);
            String rewritten = tested.strip().startsWith("macro ") ? rewriteExpression(tested, false) : rewriteExpression(tested);
            if (kind == '{') {
                out.add("{{ (" + rewritten.strip() + ")|" + DISPLAY_FILTER + " }}");
            } else {
                out.add("{%" + rewritten + "%}");
            }
            isText.add(false);
            i = bodyEnd + (stripAfter ? 3 : 2);
            if (stripAfter) i = skipWhitespace(src, i);
        }
        return String.join("", out);
    }

    private static int findTagStart(String src, int from) {
        for (int i = from; i + 1 < src.length(); i++) {
            if (src.charAt(i) == '{') {
                char c = src.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') return i;
            }
        }
        return -1;
    }

    private static void trimLastText(List<String> out, List<Boolean> isText) {
        int last = out.size() - 1;
        if (last >= 0 && isText.get(last)) {
            String t = JsValues.trimEnd(out.get(last));
            if (t.isEmpty()) {
                out.remove(last);
                isText.remove(last);
            } else {
                out.set(last, t);
            }
        }
    }

    private static int skipWhitespace(String src, int i) {
        while (i < src.length() && JsValues.isJsWhitespace(src.charAt(i))) i++;
        return i;
    }

    /**
     * Where the tag opened at {@code from} ends: {index of the closing "%}"/"}}" or of its "-", 1 if hyphen}.
     * Quotes are skipped; for expressions "}}" inside a dict literal does not close (as in transformers.js).
     */
    private static int[] findTagEnd(String src, int from, char kind) {
        int depth = 0;
        for (int i = from; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(src, i);
                continue;
            }
            if (c == '{') depth++;
            if (kind == '{') {
                if (depth == 0 && src.startsWith("-}}", i)) return new int[] {i, 1};
                if (depth == 0 && src.startsWith("}}", i)) return new int[] {i, 0};
            } else {
                if (src.startsWith("-%}", i)) return new int[] {i, 1};
                if (src.startsWith("%}", i)) return new int[] {i, 0};
            }
            if (c == '}') depth--;
        }
        throw new IllegalArgumentException("chat template: tag opened with '{" + kind + "' is never closed");
    }

    /** Index of the closing quote of the string literal opening at {@code i}. */
    private static int skipString(String src, int i) {
        char q = src.charAt(i);
        for (int j = i + 1; j < src.length(); j++) {
            char c = src.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == q) {
                return j;
            }
        }
        throw new IllegalArgumentException("chat template: unterminated string literal starting " + excerpt(src, i));
    }

    static final String HAS_KEY_FUNCTION = "__slmops_has";
    static final String KEY_IS_NONE_FUNCTION = "__slmops_key_is_none";
    static final String VAR_DEFINED_FUNCTION = "__slmops_var_defined";
    static final String VAR_IS_NONE_FUNCTION = "__slmops_var_is_none";
    static final String NAMESPACE_FUNCTION = "__slmops_namespace";
    private static final Set<String> LITERAL_NAMES = Set.of("none", "None", "true", "True", "false", "False");

    private static final Pattern EXISTENCE_TEST = Pattern.compile("\\bis\\s+(not\\s+)?(defined|undefined|none)\\b");

    /**
     * Jinjava has one null for none and undefined; transformers.js tells them apart. Tests on a member
     * ({@code message.x is defined}, {@code d['k'] is none}) become calls that look at the container
     * ({@code __slmops_has(message, "x")}: is the key there at all), and {@code name is defined} asks whether the
     * render was given {@code name} (even as none). Other operands keep Jinjava's test.
     */
    String rewriteExistenceTests(String expr) {
        StringBuilder sb = new StringBuilder();
        int copied = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(expr, i);
                continue;
            }
            if (c != 'i' || !isKeywordAt(expr, i, "is")) continue;
            Matcher m = EXISTENCE_TEST.matcher(expr).region(i, expr.length());
            if (!m.lookingAt()) continue;
            int end = i;
            while (end > 0 && Character.isWhitespace(expr.charAt(end - 1))) end--;
            int start = operandStart(expr, end);
            if (start < 0 || start >= end || start < copied) continue;
            int before = start;
            while (before > 0 && Character.isWhitespace(expr.charAt(before - 1))) before--;
            if (before > 0 && (expr.charAt(before - 1) == '|' || expr.charAt(before - 1) == '.')) continue;
            String call = existenceCall(expr.substring(start, end), m.group(2), assignedNames);
            if (call == null) continue;
            boolean negate = m.group(1) != null ^ m.group(2).equals("undefined");
            sb.append(expr, copied, start).append(negate ? "(not " + call + ")" : call);
            copied = m.end();
            i = m.end() - 1;
        }
        return sb.append(expr, copied, expr.length()).toString();
    }

    /** The start of the postfix chain (name, .attr, [index], (args)) that ends at {@code end}; -1 if none. */
    private static int operandStart(String s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (c == ']' || c == ')') {
                i = matchingOpenBackward(s, i - 1);
                if (i < 0) return -1;
            } else if (isWordChar(c)) {
                while (i > 0 && isWordChar(s.charAt(i - 1))) i--;
            } else {
                return i == end ? -1 : i;
            }
            if (i > 0 && s.charAt(i - 1) == '.') {
                i--;                                   // .attr: the chain goes on to the left
            } else if (!(s.charAt(i) == '[' || s.charAt(i) == '(') || i == 0
                    || !(isWordChar(s.charAt(i - 1)) || s.charAt(i - 1) == ']' || s.charAt(i - 1) == ')')) {
                return i;                              // no subscript/call glued to something on its left
            }
        }
        return i;
    }

    private static int matchingOpenBackward(String s, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            char c = s.charAt(i);
            if (c == ']' || c == ')' || c == '}') depth++;
            else if (c == '[' || c == '(' || c == '{') {
                if (--depth == 0) return i;
            } else if (c == '\'' || c == '"') {
                int open = i - 1;                      // back to the opening quote (escaped quotes skipped)
                while (open >= 0 && !(s.charAt(open) == c && (open == 0 || s.charAt(open - 1) != '\\'))) open--;
                if (open < 0) return -1;
                i = open;
            }
        }
        return -1;
    }

    /** The call that replaces {@code operand is defined|undefined|none}, or null to keep Jinjava's test. */
    private static String existenceCall(String operand, String test, Set<String> assigned) {
        String op = operand.strip();
        String base;
        String key;
        if (op.endsWith("]")) {
            int open = matchingOpenBackward(op, op.length() - 1);
            if (open <= 0) return null;
            base = op.substring(0, open);
            key = op.substring(open + 1, op.length() - 1);
            if (splitTopLevel(key, ':').size() > 1) return null;   // a slice is never undefined
        } else {
            int k = op.length();
            while (k > 0 && isWordChar(op.charAt(k - 1))) k--;
            if (k == 0) {
                if (LITERAL_NAMES.contains(op)) return null;
                // a name the template assigns may hold none (Jinjava forgets none values), so only names it never
                // assigns can be told apart: none if the render was given none, undefined if not given at all
                if (test.equals("none")) return assigned.contains(op) ? null : VAR_IS_NONE_FUNCTION + "(" + jinjavaLiteral(op) + ")";
                return VAR_DEFINED_FUNCTION + "(" + jinjavaLiteral(op) + ")";
            }
            if (op.charAt(k - 1) != '.') return null;
            base = op.substring(0, k - 1);
            key = jinjavaLiteral(op.substring(k));
        }
        if (base.isBlank()) return null;
        return (test.equals("none") ? KEY_IS_NONE_FUNCTION : HAS_KEY_FUNCTION) + "(" + base + ", " + key + ")";
    }

    /** Re-spells string literals and turns slices into {@code [__slmops_slice(start, stop, step)]}. */
    String rewriteExpression(String expr) {
        return rewriteExpression(expr, true);
    }

    private String rewriteExpression(String expr, boolean wrapNamedArguments) {
        StringBuilder sb = new StringBuilder(expr.length() + 16);
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expr, i);
                sb.append(jinjavaLiteral(decodeJsString(expr.substring(i + 1, end))));
                i = end + 1;
            } else if (c == '[') {
                int close = matchingBracket(expr, i);
                String inner = expr.substring(i + 1, close);
                List<String> parts = splitTopLevel(inner, ':');
                if (parts.size() > 1) {
                    if (parts.size() > 3) throw new IllegalArgumentException("chat template: bad slice [" + inner + "]");
                    List<String> args = new ArrayList<>();
                    for (int k = 0; k < 3; k++) {
                        String p = k < parts.size() ? parts.get(k).strip() : "";
                        args.add(p.isEmpty() ? "none" : rewriteExpression(p));
                    }
                    sb.append('[').append(SLICE_FUNCTION).append('(').append(String.join(", ", args)).append(")]");
                } else {
                    sb.append('[').append(rewriteExpression(inner)).append(']');
                }
                i = close + 1;
            } else if (isKeywordAt(expr, i, "not") && !precededBy(expr, i, "is") && !followedBy(expr, i + 3, "in")) {
                // Jinja's `not` takes a whole comparison (`not a|length == 1` is `not (a|length == 1)`);
                // Jinjava's binds to the nearest operand, so the operand gets parentheses.
                int end = notOperandEnd(expr, i + 3);
                String operand = expr.substring(i + 3, end);
                String trailing = operand.substring(operand.stripTrailing().length());
                sb.append("not (").append(rewriteExpression(operand, wrapNamedArguments).strip()).append(')').append(trailing);
                i = end;
            } else if (isKeywordAt(expr, i, "is")) {
                int j = i + 2;
                while (j < expr.length() && Character.isWhitespace(expr.charAt(j))) j++;
                if (isKeywordAt(expr, j, "not")) {
                    j += 3;
                    while (j < expr.length() && Character.isWhitespace(expr.charAt(j))) j++;
                }
                int k = j;
                while (k < expr.length() && isWordChar(expr.charAt(k))) k++;
                String name = expr.substring(j, k);
                sb.append(expr, i, j);
                if (!name.isEmpty() && !isTest.test(name)) sb.append(UNKNOWN_TEST).append(' ').append(jinjavaLiteral(name));
                else sb.append(name);
                i = k;
            } else if (c == '|') {
                int j = i + 1;
                while (j < expr.length() && Character.isWhitespace(expr.charAt(j))) j++;
                int k = j;
                while (k < expr.length() && isWordChar(expr.charAt(k))) k++;
                String name = expr.substring(j, k);
                if (!name.isEmpty() && !isFilter.test(name)) {
                    boolean hasArgs = k < expr.length() && expr.charAt(k) == '(';
                    sb.append('|').append(UNKNOWN_FILTER).append('(').append(jinjavaLiteral(name)).append(hasArgs ? ", " : ")");
                    i = hasArgs ? k + 1 : k;
                } else {
                    sb.append(c);
                    i++;
                }
            } else if (c == '(') {
                int close = matchingBracket(expr, i);
                // namespace(k=v): Jinjava's drops keys given none, so ours gets "k", v pairs
                boolean namespace = sb.length() >= 9 && sb.toString().endsWith("namespace")
                        && isKeywordAt(sb.toString(), sb.length() - 9, "namespace");
                if (namespace) sb.replace(sb.length() - 9, sb.length(), NAMESPACE_FUNCTION);
                List<String> args = new ArrayList<>();
                for (String arg : splitTopLevel(expr.substring(i + 1, close), ',')) {
                    Matcher named = NAMED_ARGUMENT.matcher(arg);
                    if (namespace && named.matches()) {
                        String key = named.group(1).strip();
                        args.add(jinjavaLiteral(key.substring(0, key.length() - 1).strip()) + ", ("
                                + rewriteExpression(named.group(2)) + ")");
                    } else {
                        args.add(wrapNamedArguments && named.matches()
                                ? named.group(1) + "(" + rewriteExpression(named.group(2)) + ")"
                                : rewriteExpression(arg, wrapNamedArguments));
                    }
                }
                if (args.size() == 1 && args.get(0).isBlank()) args.clear();
                sb.append('(').append(String.join(",", args)).append(')');
                i = close + 1;
            } else {
                if (c == '}' && !sb.isEmpty() && sb.charAt(sb.length() - 1) == '}') sb.append(' ');  // "}}" ends a Jinjava tag
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    /** {@code name=value} in a call; Jinjava binds {@code k=a - 1} as {@code (k=a) - 1}, so values get parentheses. */
    private static final Pattern NAMED_ARGUMENT = Pattern.compile("(\\s*[A-Za-z_]\\w*\\s*=)(?!=)(.*)", Pattern.DOTALL);

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** {@code word} as a whole identifier at {@code i} (not part of a longer name or an attribute). */
    private static boolean isKeywordAt(String s, int i, String word) {
        if (!s.startsWith(word, i)) return false;
        if (i > 0 && (isWordChar(s.charAt(i - 1)) || s.charAt(i - 1) == '.')) return false;
        int end = i + word.length();
        return end == s.length() || !isWordChar(s.charAt(end));
    }

    private static boolean precededBy(String s, int i, String word) {
        int j = i;
        while (j > 0 && Character.isWhitespace(s.charAt(j - 1))) j--;
        return j >= word.length() && isKeywordAt(s, j - word.length(), word);
    }

    private static boolean followedBy(String s, int i, String word) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return isKeywordAt(s, i, word);
    }

    /** Where the operand of a `not` starting at {@code from} ends: the next and/or/if/else, ',' or ':' at this level. */
    private static int notOperandEnd(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
            } else if (c == '[' || c == '(' || c == '{') {
                i = matchingBracket(s, i);
            } else if (c == ']' || c == ')' || c == '}' || c == ',' || c == ':') {
                return i;
            } else if (isKeywordAt(s, i, "and") || isKeywordAt(s, i, "or") || isKeywordAt(s, i, "if")
                    || isKeywordAt(s, i, "else")) {
                return i;
            }
        }
        return s.length();
    }

    private static int matchingBracket(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                if (--depth == 0) return i;
            }
        }
        throw new IllegalArgumentException("chat template: unbalanced '[' in " + excerpt(s, open));
    }

    private static List<String> splitTopLevel(String s, char sep) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            } else if (c == sep && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** A string literal's value by transformers.js's lexer rules (unknown escapes are an error there too). */
    static String decodeJsString(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i >= raw.length()) throw new IllegalArgumentException("chat template: string ends with a backslash");
            char e = raw.charAt(i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000B');
                case '\'', '"', '\\' -> sb.append(e);
                case 'x', 'u' -> {
                    int len = e == 'x' ? 2 : 4;
                    String hex = i + 1 + len <= raw.length() ? raw.substring(i + 1, i + 1 + len) : "";
                    if (!hex.matches("[0-9a-fA-F]{" + len + "}")) {
                        throw new IllegalArgumentException("chat template: invalid escape \\" + e + hex);
                    }
                    sb.append((char) Integer.parseInt(hex, 16));
                    i += len;
                }
                default -> throw new IllegalArgumentException("chat template: unexpected escaped character \\" + e);
            }
        }
        return sb.toString();
    }

    /**
     * A double-quoted literal Jinjava's scanner reads back as {@code value}: only \ and " need escaping, but a
     * "}}", "%}" or "#}" inside would end Jinjava's tag, so such text is split there and joined with ~.
     */
    static String jinjavaLiteral(String value) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int i = 1; i < value.length(); i++) {
            if (value.charAt(i) == '}' && "}%#".indexOf(value.charAt(i - 1)) >= 0) {
                pieces.add(value.substring(from, i));
                from = i;
            }
        }
        pieces.add(value.substring(from));
        List<String> literals = new ArrayList<>();
        for (String p : pieces) literals.add("\"" + p.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        return literals.size() == 1 ? literals.get(0) : "(" + String.join(" ~ ", literals) + ")";
    }

    private static String excerpt(String s, int at) {
        return "'" + s.substring(at, Math.min(s.length(), at + 40)) + "'";
    }
}
