package dev.slmops.model.chat;

import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ElseTag;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * {@code {% for %}} with the loop object transformers.js gives: index, index0, revindex, revindex0, first,
 * last, length, previtem, nextitem (Jinjava's has no previtem/nextitem), and the inline filter
 * {@code {% for m in messages if m.role != "system" %}} whose loop counts only the items that pass. Dicts
 * iterate over their keys; none iterates nothing; {@code {% else %}} renders when nothing was iterated. {@code {% break %}} / {@code {% continue %}} work as in
 * Jinjava (the loop is still a {@link ForLoop}).
 */
final class TemplateForTag extends ForTag {

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        String helpers = tagNode.getHelpers().strip();
        int in = topLevelKeyword(helpers, "in", 0);
        if (in < 0) {
            throw new InterpretException("Tag 'for' expects 'in': {% for " + helpers + " %}", tagNode.getLineNumber());
        }
        List<String> vars = new ArrayList<>();
        for (String v : helpers.substring(0, in).split(",")) {
            if (!v.isBlank()) vars.add(v.strip());
        }
        String rest = helpers.substring(in + 2).strip();
        if (rest.endsWith(" recursive")) rest = rest.substring(0, rest.length() - " recursive".length()).strip();
        String condition = null;
        int ifAt = topLevelKeyword(rest, "if", 0);
        if (ifAt > 0 && topLevelKeyword(rest, "else", ifAt) < 0) {
            condition = rest.substring(ifAt + 2).strip();
            rest = rest.substring(0, ifAt).strip();
        }
        List<Object> items = materialize(interpreter.resolveELExpression(rest, tagNode.getLineNumber()), rest);

        try (JinjavaInterpreter.InterpreterScopeClosable scope = interpreter.enterScope()) {
            if (condition != null) {
                List<Object> kept = new ArrayList<>();
                for (Object item : items) {
                    bind(interpreter, vars, item);
                    if (JsValues.truthy(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) kept.add(item);
                }
                items = kept;
            }
            // {% for %}body{% else %}when empty{% endfor %}: Jinjava parses the else as one more child
            List<Node> body = new ArrayList<>();
            List<Node> whenEmpty = null;
            for (Node child : tagNode.getChildren()) {
                if (whenEmpty == null && child instanceof TagNode t && t.getTag() instanceof ElseTag) {
                    whenEmpty = new ArrayList<>();
                } else {
                    (whenEmpty == null ? body : whenEmpty).add(child);
                }
            }
            Loop loop = new Loop(items);
            interpreter.getContext().put(LOOP, loop);
            StringBuilder out = new StringBuilder();
            while (loop.hasNext()) {
                bind(interpreter, vars, loop.next());
                for (Node child : body) {
                    out.append(child.render(interpreter).getValue());
                    if (loop.isContinued()) break;
                }
            }
            if (items.isEmpty() && whenEmpty != null) {
                for (Node child : whenEmpty) out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }

    private static List<Object> materialize(Object collection, String expr) {
        if (collection == null) return List.of();
        if (collection instanceof Map<?, ?> map) return new ArrayList<>(map.keySet());
        if (collection instanceof Collection<?> c) return new ArrayList<>(c);
        if (collection instanceof Object[] a) return new ArrayList<>(List.of(a));
        throw new IllegalArgumentException("Expected iterable or object type in for loop: got "
                + collection.getClass().getSimpleName() + " from '" + expr + "'");
    }

    private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
        Object value = interpreter.wrap(item);
        if (vars.size() == 1) {
            interpreter.getContext().put(vars.get(0), value);
            return;
        }
        List<?> parts;
        if (item instanceof List<?> l) {
            parts = l;
        } else if (item instanceof Map.Entry<?, ?> e) {
            parts = java.util.Arrays.asList(e.getKey(), e.getValue());
        } else {
            throw new IllegalArgumentException("Cannot unpack non-iterable type: " + (item == null ? "none" : item.getClass().getSimpleName()));
        }
        if (parts.size() != vars.size()) {
            throw new IllegalArgumentException("Too " + (vars.size() > parts.size() ? "few" : "many") + " items to unpack");
        }
        for (int i = 0; i < vars.size(); i++) interpreter.getContext().put(vars.get(i), interpreter.wrap(parts.get(i)));
    }

    /** Index of {@code word} as a whole word outside strings and brackets at or after {@code from}, else -1. */
    static int topLevelKeyword(String s, String word, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'') {
                for (i++; i < s.length() && s.charAt(i) != c; i++) {
                    if (s.charAt(i) == '\\') i++;
                }
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && s.startsWith(word, i) && (i == 0 || !isWordChar(s.charAt(i - 1)))
                    && (i + word.length() == s.length() || !isWordChar(s.charAt(i + word.length())))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.';
    }

    /** Jinjava's loop (so break/continue find it) with transformers.js's fields, computed from the item list. */
    public static final class Loop extends ForLoop {
        private final List<Object> items;
        private int index0 = -1;

        Loop(List<Object> items) {
            super(items.iterator(), items.size());
            this.items = items;
        }

        @Override
        public Object next() {
            index0++;
            return super.next();
        }

        @Override
        public int getIndex() {
            return index0 + 1;
        }

        @Override
        public int getIndex0() {
            return index0;
        }

        @Override
        public int getRevindex() {
            return items.size() - index0;
        }

        @Override
        public int getRevindex0() {
            return items.size() - index0 - 1;
        }

        @Override
        public int getLength() {
            return items.size();
        }

        @Override
        public boolean isFirst() {
            return index0 == 0;
        }

        @Override
        public boolean isLast() {
            return index0 == items.size() - 1;
        }

        public Object getPrevitem() {
            return index0 > 0 ? items.get(index0 - 1) : null;
        }

        public Object getNextitem() {
            return index0 + 1 < items.size() ? items.get(index0 + 1) : null;
        }
    }
}
