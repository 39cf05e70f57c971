package dev.slmops.workflows.export;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough of Go's text/template to run the Ollama templates we write, written from the text/template
 * documentation: text and {{ actions }} with the {{- / -}} whitespace trimming (all spaces, tabs and newlines on
 * that side), range over a list (dot becomes the element), if / else if / else / end, variables ($x := v, $x = v),
 * fields (.Role), string literals, and the functions eq, not, and, or. Truthiness: non-empty string, true,
 * non-empty list. Anything else throws, so a template using more than this fails the test loudly.
 */
final class GoTemplateSubset {
    private sealed interface Node permits Text, Output, Assign, If, Range {
    }

    private record Text(String text) implements Node {
    }

    private record Output(String expr) implements Node {
    }

    private record Assign(String var, String expr, boolean declare) implements Node {
    }

    private record If(List<String> conditions, List<List<Node>> branches, List<Node> otherwise) implements Node {
    }

    private record Range(String expr, List<Node> body) implements Node {
    }

    private final List<Node> root;

    private GoTemplateSubset(List<Node> root) {
        this.root = root;
    }

    static GoTemplateSubset parse(String template) {
        List<Object> tokens = lex(template); // String text or Action
        int[] pos = {0};
        List<Node> nodes = new ArrayList<>();
        String end = parseList(tokens, pos, nodes);
        if (end != null) throw new IllegalArgumentException("unexpected {{ " + end + " }}");
        return new GoTemplateSubset(nodes);
    }

    String render(Map<String, Object> data) {
        StringBuilder out = new StringBuilder();
        Map<String, Object> vars = new HashMap<>();
        vars.put("$", data);
        exec(root, data, vars, out);
        return out.toString();
    }

    private record Action(String body) {
    }

    private static List<Object> lex(String t) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        boolean trimNext = false;
        while (i < t.length()) {
            int open = t.indexOf("{{", i);
            String text = open < 0 ? t.substring(i) : t.substring(i, open);
            if (trimNext) text = text.stripLeading();
            if (open < 0) {
                out.add(text);
                break;
            }
            int close = t.indexOf("}}", open);
            if (close < 0) throw new IllegalArgumentException("unclosed {{ at " + open);
            String body = t.substring(open + 2, close);
            if (body.startsWith("- ") || body.startsWith("-\n")) {
                text = text.stripTrailing();
                body = body.substring(1);
            }
            trimNext = body.endsWith(" -") || body.endsWith("\n-");
            if (trimNext) body = body.substring(0, body.length() - 1);
            out.add(text);
            out.add(new Action(body.strip()));
            i = close + 2;
        }
        return out;
    }

    /** Parses nodes until end / else / else if; returns that keyword's action text, or null at the end of input. */
    private static String parseList(List<Object> tokens, int[] pos, List<Node> into) {
        while (pos[0] < tokens.size()) {
            Object tok = tokens.get(pos[0]++);
            if (tok instanceof String s) {
                if (!s.isEmpty()) into.add(new Text(s));
                continue;
            }
            String a = ((Action) tok).body();
            if (a.equals("end") || a.equals("else") || a.startsWith("else if ")) return a;
            if (a.startsWith("range ")) {
                List<Node> body = new ArrayList<>();
                String end = parseList(tokens, pos, body);
                if (!"end".equals(end)) throw new IllegalArgumentException("range without end");
                into.add(new Range(a.substring(6).strip(), body));
            } else if (a.startsWith("if ")) {
                List<String> conds = new ArrayList<>();
                List<List<Node>> branches = new ArrayList<>();
                List<Node> otherwise = new ArrayList<>();
                conds.add(a.substring(3).strip());
                List<Node> branch = new ArrayList<>();
                String end = parseList(tokens, pos, branch);
                branches.add(branch);
                while (end != null && end.startsWith("else if ")) {
                    conds.add(end.substring(8).strip());
                    branch = new ArrayList<>();
                    end = parseList(tokens, pos, branch);
                    branches.add(branch);
                }
                if ("else".equals(end)) end = parseList(tokens, pos, otherwise);
                if (!"end".equals(end)) throw new IllegalArgumentException("if without end");
                into.add(new If(conds, branches, otherwise));
            } else if (a.startsWith("$") && (a.contains(":=") || a.matches("\\$\\w+\\s*=[^=].*"))) {
                boolean declare = a.contains(":=");
                String[] parts = a.split(declare ? ":=" : "=", 2);
                into.add(new Assign(parts[0].strip(), parts[1].strip(), declare));
            } else {
                into.add(new Output(a));
            }
        }
        return null;
    }

    private static void exec(List<Node> nodes, Object dot, Map<String, Object> vars, StringBuilder out) {
        for (Node n : nodes) {
            switch (n) {
                case Text t -> out.append(t.text());
                case Output o -> out.append(eval(o.expr(), dot, vars));
                case Assign a -> {
                    if (!a.declare() && !vars.containsKey(a.var())) throw new IllegalArgumentException("undefined " + a.var());
                    vars.put(a.var(), eval(a.expr(), dot, vars));
                }
                case If f -> {
                    boolean done = false;
                    for (int i = 0; i < f.conditions().size() && !done; i++) {
                        if (truthy(eval(f.conditions().get(i), dot, vars))) {
                            exec(f.branches().get(i), dot, vars, out);
                            done = true;
                        }
                    }
                    if (!done) exec(f.otherwise(), dot, vars, out);
                }
                case Range r -> {
                    for (Object item : (List<?>) eval(r.expr(), dot, vars)) exec(r.body(), item, vars, out);
                }
            }
        }
    }

    /** Evaluates a pipeline of one command: a function applied to arguments, or a single operand. */
    private static Object eval(String expr, Object dot, Map<String, Object> vars) {
        List<String> words = words(expr);
        String head = words.getFirst();
        List<Object> args = new ArrayList<>();
        for (String w : words.subList(1, words.size())) args.add(operand(w, dot, vars));
        return switch (head) {
            case "eq" -> args.get(0).equals(args.get(1));
            case "not" -> !truthy(args.get(0));
            case "and" -> args.stream().allMatch(GoTemplateSubset::truthy);
            case "or" -> args.stream().anyMatch(GoTemplateSubset::truthy);
            default -> {
                if (!args.isEmpty()) throw new IllegalArgumentException("unsupported function " + head);
                yield operand(head, dot, vars);
            }
        };
    }

    private static Object operand(String w, Object dot, Map<String, Object> vars) {
        if (w.startsWith("\"")) return w.substring(1, w.length() - 1).replace("\\n", "\n").replace("\\\"", "\"");
        if (w.startsWith("$")) {
            if (!vars.containsKey(w)) throw new IllegalArgumentException("undefined variable " + w);
            return vars.get(w);
        }
        if (w.startsWith(".")) {
            Object v = ((Map<?, ?>) dot).get(w.substring(1));
            if (v == null) throw new IllegalArgumentException("no field " + w);
            return v;
        }
        if (w.startsWith("(")) return eval(w.substring(1, w.length() - 1), dot, vars);
        throw new IllegalArgumentException("unsupported operand " + w);
    }

    private static List<String> words(String expr) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '"') {
                int j = i + 1;
                while (expr.charAt(j) != '"') j += expr.charAt(j) == '\\' ? 2 : 1;
                out.add(expr.substring(i, j + 1));
                i = j + 1;
            } else if (c == '(') {
                int depth = 0, j = i;
                do {
                    if (expr.charAt(j) == '(') depth++;
                    if (expr.charAt(j) == ')') depth--;
                    j++;
                } while (depth > 0);
                out.add(expr.substring(i, j));
                i = j;
            } else {
                int j = i;
                while (j < expr.length() && !Character.isWhitespace(expr.charAt(j))) j++;
                out.add(expr.substring(i, j));
                i = j;
            }
        }
        return out;
    }

    private static boolean truthy(Object v) {
        return switch (v) {
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case null -> false;
            default -> true;
        };
    }
}
