package dev.slmops.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.Namespace;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The global functions HF chat templates call, registered into Jinjava by {@link TemplateEngine}:
 * {@code raise_exception(message)}, {@code strftime_now(format)}, and the slice helper the preprocessor emits.
 */
final class TemplateFunctions {
    private TemplateFunctions() {
    }

    /** Thrown by raise_exception; {@link TemplateEngine} turns it into IllegalArgumentException(message). */
    static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message);
        }
    }

    static List<ELFunctionDefinition> definitions() {
        return List.of(
                new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", Object.class),
                new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.SLICE_FUNCTION, TemplateFunctions.class, "slice",
                        Object.class, Object.class, Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.HAS_KEY_FUNCTION, TemplateFunctions.class, "hasKey",
                        Object.class, Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.KEY_IS_NONE_FUNCTION, TemplateFunctions.class, "keyIsNone",
                        Object.class, Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.VAR_DEFINED_FUNCTION, TemplateFunctions.class, "varDefined",
                        Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.VAR_IS_NONE_FUNCTION, TemplateFunctions.class, "varIsNone",
                        Object.class),
                new ELFunctionDefinition("", TemplatePreprocessor.NAMESPACE_FUNCTION, TemplateFunctions.class, "namespace",
                        Object[].class));
    }

    /**
     * {@code namespace(k=v, ...)} (the preprocessor passes "k", v pairs, after an optional dict to copy): a
     * Jinjava Namespace that keeps keys given none.
     */
    public static Namespace namespace(Object... args) {
        Map<String, Object> entries = new LinkedHashMap<>();
        int i = 0;
        if (args.length % 2 == 1) {
            if (!(args[0] instanceof Map<?, ?> source)) throw new IllegalArgumentException("namespace expected a mapping");
            source.forEach((k, v) -> entries.put(String.valueOf(k), v));
            i = 1;
        }
        for (; i + 1 < args.length; i += 2) entries.put(String.valueOf(args[i]), args[i + 1]);
        return new Namespace(entries);
    }

    /** {@code name is none} for a name the template never assigns: given to the render as none. */
    public static boolean varIsNone(Object name) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        return interpreter != null && interpreter.getContext().get(String.valueOf(name)) == null
                && interpreter.getContext().get(NONE_VARIABLES) instanceof Collection<?> names
                && names.contains(String.valueOf(name));
    }

    /** The render variable listing the names given as none (Jinjava's context drops null values). */
    static final String NONE_VARIABLES = "__slmops_none_variables";

    /** {@code base.key is defined}: the key exists (even holding none); for lists, the index is in range. */
    public static boolean hasKey(Object base, Object key) {
        if (base == null) return false;
        if (base instanceof Map<?, ?> map) return map.containsKey(key) || map.containsKey(String.valueOf(key));
        if (base instanceof List<?> list && key instanceof Number n) return inRange(n.longValue(), list.size());
        if (base instanceof String str && key instanceof Number n) return inRange(n.longValue(), str.length());
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        return interpreter != null && interpreter.resolveProperty(base, String.valueOf(key)) != null;
    }

    /** {@code base.key is none}: the key exists and holds none (a missing key is undefined, not none). */
    public static boolean keyIsNone(Object base, Object key) {
        if (base instanceof Map<?, ?> map) {
            Object k = map.containsKey(key) ? key : String.valueOf(key);
            return map.containsKey(k) && map.get(k) == null;
        }
        if (base instanceof List<?> list && key instanceof Number n && inRange(n.longValue(), list.size())) {
            long i = n.longValue();
            return list.get((int) (i < 0 ? list.size() + i : i)) == null;
        }
        return false;
    }

    /** {@code name is defined}: set in the template, or given to the render (even as none). */
    public static boolean varDefined(Object name) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        if (interpreter == null) return false;
        if (interpreter.getContext().get(String.valueOf(name)) != null) return true;
        return interpreter.getContext().get(NONE_VARIABLES) instanceof Collection<?> names && names.contains(String.valueOf(name));
    }

    private static boolean inRange(long i, int size) {
        long k = i < 0 ? size + i : i;
        return k >= 0 && k < size;
    }

    public static Object raiseException(Object message) {
        throw new RaisedException(String.valueOf(message));
    }

    /**
     * Python's strftime on the local time, with the directives transformers.js knows (%Y %m %d %b %B %H %M %%);
     * any other directive is left as written, as transformers.js does. Month names are English.
     */
    public static String strftimeNow(Object format) {
        return strftime(ZonedDateTime.now(), String.valueOf(format));
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(i + 1);
            String s = switch (d) {
                case 'Y' -> Integer.toString(t.getYear());
                case 'm' -> pad2(t.getMonthValue());
                case 'd' -> pad2(t.getDayOfMonth());
                case 'b' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'H' -> pad2(t.getHour());
                case 'M' -> pad2(t.getMinute());
                case '%' -> "%";
                default -> null;
            };
            if (s == null) {
                sb.append(c);
            } else {
                sb.append(s);
                i++;
            }
        }
        return sb.toString();
    }

    private static String pad2(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    public static TemplateMethodResolver.Slice slice(Object start, Object stop, Object step) {
        return new TemplateMethodResolver.Slice(asLong(start, "start"), asLong(stop, "stop"), asLong(step, "step"));
    }

    private static Long asLong(Object o, String what) {
        if (o == null) return null;
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) return ((Number) o).longValue();
        throw new IllegalArgumentException("Slice " + what + " must be numeric or undefined");
    }
}
