package dev.slmops.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.Namespace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Filters and tests registered over Jinjava's own where transformers.js behaves otherwise:
 * <ul>
 *   <li>{@code tojson(indent, ensure_ascii, separators, sort_keys)}: Python json.dumps layout (", " / ": "),
 *       non-ASCII kept; Jinjava's is compact Jackson output;</li>
 *   <li>{@code trim}: JS whitespace (Unicode spaces too, not just ≤ U+0020);</li>
 *   <li>{@code items}: [key, value] lists; {@code string}: JS spelling; {@code title}/{@code capitalize}: JS
 *       rules;</li>
 *   <li>the preprocessor's display filter, through which every {@code {{ }}} prints;</li>
 *   <li>tests string, mapping, none, true, false, boolean, number, integer, iterable, sequence by JS types.</li>
 * </ul>
 */
final class TemplateFilters {
    private TemplateFilters() {
    }

    static List<Filter> filters() {
        return List.of(
                simple(TemplatePreprocessor.DISPLAY_FILTER, JsValues::display),
                new ToJson(),
                new UnknownFilter(),
                new Indent(),
                simple("trim", v -> v instanceof String s ? JsValues.trim(s) : v),
                simple("title", v -> v instanceof String s ? JsValues.title(s) : v),
                simple("capitalize", v -> v instanceof String s ? JsValues.capitalize(s) : v),
                simple("string", v -> v instanceof String ? v : v instanceof Map<?, ?> || v instanceof Collection<?>
                        ? JsValues.toJson(v, new JsValues.JsonStyle(null, false, null, false), 0, false)
                        : v instanceof Number n && !JsValues.isIntegral(n) ? JsValues.floatToString(n.doubleValue())
                        : JsValues.display(v)),
                simple("items", v -> {
                    if (!(v instanceof Map<?, ?> map)) throw new IllegalArgumentException("Cannot apply filter \"items\" to " + typeName(v));
                    List<Object> items = new ArrayList<>();
                    for (Map.Entry<?, ?> e : map.entrySet()) items.add(new ArrayList<>(Arrays.asList(e.getKey(), e.getValue())));
                    return items;
                }));
    }

    static List<ExpTest> tests() {
        return List.of(
                test("string", v -> v instanceof String),
                test("mapping", v -> v instanceof Map<?, ?> && !(v instanceof Namespace)),
                test("none", v -> v == null),
                test("true", v -> Boolean.TRUE.equals(v)),
                test("false", v -> Boolean.FALSE.equals(v)),
                test("boolean", v -> v instanceof Boolean),
                test("number", v -> v instanceof Number),
                test("integer", JsValues::isIntegral),
                test("iterable", v -> v instanceof List<?> || v instanceof String),
                new ExpTest() {
                    @Override
                    public String getName() {
                        return TemplatePreprocessor.UNKNOWN_TEST;
                    }

                    @Override
                    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                        throw new IllegalArgumentException("Unknown test: " + (args.length > 0 ? args[0] : "?"));
                    }
                },
                test("sequence", v -> v instanceof List<?> || v instanceof String || (v instanceof Map<?, ?> && !(v instanceof Namespace))));
    }

    static String typeName(Object v) {
        return v == null ? "none" : v.getClass().getSimpleName();
    }

    private static Filter simple(String name, java.util.function.Function<Object, Object> f) {
        return new Filter() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return f.apply(var);
            }
        };
    }

    private static ExpTest test(String name, Predicate<Object> p) {
        return new ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return p.test(var);
            }
        };
    }

    /** Stands in for a filter Jinjava does not have; fails when the template reaches it. */
    private static final class UnknownFilter implements Filter {
        @Override
        public String getName() {
            return TemplatePreprocessor.UNKNOWN_FILTER;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            throw new IllegalArgumentException("Unknown filter: " + (args.length > 0 ? args[0] : "?"));
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            throw new IllegalArgumentException("Unknown filter: " + (args.length > 0 ? args[0] : "?"));
        }
    }

    /** {@code |indent(width=4, first=false, blank=false)}: Jinjava would also indent blank lines. */
    private static final class Indent implements Filter {
        @Override
        public String getName() {
            return "indent";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, new Object[0], Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (!(var instanceof String s)) throw new IllegalArgumentException("Cannot apply filter \"indent\" to " + typeName(var));
            Object width = args.length > 0 ? args[0] : kwargs.getOrDefault("width", 4L);
            if (!JsValues.isIntegral(width)) throw new IllegalArgumentException("width must be a number");
            boolean first = JsValues.truthy(args.length > 1 ? args[1] : kwargs.getOrDefault("first", false));
            boolean blank = JsValues.truthy(args.length > 2 ? args[2] : kwargs.getOrDefault("blank", false));
            String pad = " ".repeat(((Number) width).intValue());
            String[] lines = s.split("\n", -1);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < lines.length; i++) {
                if (i > 0) out.append('\n');
                boolean skip = (!first && i == 0) || (!blank && lines[i].isEmpty());
                out.append(skip ? "" : pad).append(lines[i]);
            }
            return out.toString();
        }
    }

    /** {@code |tojson} with Python json.dumps keyword arguments. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, new Object[0], Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent != null && !JsValues.isIntegral(indent)) throw new IllegalArgumentException("If set, indent must be a number");
            Object ascii = kwargs.getOrDefault("ensure_ascii", false);
            Object sort = kwargs.getOrDefault("sort_keys", false);
            if (!(ascii instanceof Boolean) || !(sort instanceof Boolean)) {
                throw new IllegalArgumentException("If set, ensure_ascii and sort_keys must be booleans");
            }
            String[] separators = null;
            Object seps = kwargs.get("separators");
            if (seps != null) {
                if (!(seps instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof String) || !(l.get(1) instanceof String)) {
                    throw new IllegalArgumentException("separators must be a tuple of two strings");
                }
                separators = new String[] {(String) l.get(0), (String) l.get(1)};
            }
            Integer ind = indent == null ? null : ((Number) indent).intValue();
            return JsValues.toJson(var, new JsValues.JsonStyle(ind, (Boolean) ascii, separators, (Boolean) sort), 0, true);
        }
    }
}
