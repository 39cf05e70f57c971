package dev.slmops.model.chat;

import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.List;
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
                        Object.class, Object.class, Object.class));
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
