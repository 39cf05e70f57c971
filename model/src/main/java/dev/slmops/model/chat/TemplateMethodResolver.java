package dev.slmops.model.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Python methods and subscripts chat templates use on strings, lists and dicts, which Jinjava would
 * otherwise look up as Java methods ({@code "s".startswith(x)} fails there, {@code "s".strip()} calls Java's):
 * <ul>
 *   <li>str: strip/lstrip/rstrip (JS whitespace, arguments ignored as in transformers.js), upper, lower, title,
 *       capitalize, startswith/endswith (a string or a list of them), split(sep, maxsplit), replace(old, new,
 *       count), the {@code length} attribute, {@code s[i]} with negative i;</li>
 *   <li>dict: get(key, default), items() (as [key, value] lists), keys(), values();</li>
 *   <li>list: {@code xs[i]} with negative i (out of range is undefined), {@code length};</li>
 *   <li>slices of lists and strings, which {@link TemplatePreprocessor} turns into a {@link Slice} subscript.</li>
 * </ul>
 * Anything else falls through to Jinjava's resolvers.
 */
final class TemplateMethodResolver extends ELResolver {

    /**
     * {@code seq[start:stop:step]}; null parts are omitted ones. Jinjava hands resolvers the subscript as text
     * ({@code Objects.toString(property)}), so a slice travels as its {@link #toString()} marker and is parsed back.
     */
    record Slice(Long start, Long stop, Long step) {
        private static final String MARKER = "\u0000slmops-slice:";

        @Override
        public String toString() {
            return MARKER + start + ":" + stop + ":" + step;
        }

        static Slice parse(Object property) {
            if (property instanceof Slice s) return s;
            if (!(property instanceof String text) || !text.startsWith(MARKER)) return null;
            String[] parts = text.substring(MARKER.length()).split(":");
            return new Slice(part(parts[0]), part(parts[1]), part(parts[2]));
        }

        private static Long part(String p) {
            return p.equals("null") ? null : Long.parseLong(p);
        }
    }

    /** A subscript as an integer: a Number, or the text of one (how Jinjava passes it); else null. */
    private static Long integerIndex(Object property) {
        if (property instanceof Long || property instanceof Integer) return ((Number) property).longValue();
        if (!(property instanceof String s) || s.isEmpty() || s.length() > 18) return null;
        for (int i = s.charAt(0) == '-' ? 1 : 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return null;
        }
        return s.equals("-") ? null : Long.parseLong(s);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        Slice slice = Slice.parse(property);
        Long index = slice == null ? integerIndex(property) : null;
        if (base instanceof String s) {
            if (slice != null) return resolved(context, JsValues.sliceString(s, slice.start(), slice.stop(), slice.step()));
            if (index != null) {
                int i = index(index, s.length());
                return resolved(context, i < 0 ? null : String.valueOf(s.charAt(i)));
            }
            if ("length".equals(property)) return resolved(context, (long) s.length());
        } else if (base instanceof List<?> list) {
            if (slice != null) {
                return resolved(context, new ArrayList<>(JsValues.slice(list, slice.start(), slice.stop(), slice.step())));
            }
            if (index != null) {
                int i = index(index, list.size());
                return resolved(context, i < 0 ? null : list.get(i));
            }
            if ("length".equals(property)) return resolved(context, (long) list.size());
        } else if (base instanceof Map<?, ?> && slice != null) {
            throw new IllegalArgumentException("Slice object must be an array or string");
        }
        return null;
    }

    /** JS Array.prototype.at: negative counts from the end; -1 when out of range. */
    private static int index(long i, int size) {
        long k = i < 0 ? size + i : i;
        return k < 0 || k >= size ? -1 : (int) k;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String name)) return null;
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s) {
            Object r = stringMethod(s, name, args);
            if (r != NOT_HANDLED) return resolved(context, r);
        } else if (base instanceof Map<?, ?> map) {
            Object r = dictMethod(map, name, args);
            if (r != NOT_HANDLED) return resolved(context, r);
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> JsValues.trim(s);
            case "lstrip" -> JsValues.trimStart(s);
            case "rstrip" -> JsValues.trimEnd(s);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> JsValues.title(s);
            case "capitalize" -> JsValues.capitalize(s);
            case "startswith", "endswith" -> affix(s, name, args);
            case "split" -> {
                Object sep = args.length > 0 ? args[0] : null;
                if (sep != null && !(sep instanceof String)) throw new IllegalArgumentException("sep argument must be a string or null");
                long max = args.length > 1 ? ((Number) args[1]).longValue() : -1;
                yield new ArrayList<>(JsValues.split(s, (String) sep, (int) max));
            }
            case "replace" -> {
                if (args.length < 2) throw new IllegalArgumentException("replace() requires at least two arguments");
                if (!(args[0] instanceof String old) || !(args[1] instanceof String rep)) {
                    throw new IllegalArgumentException("replace() arguments must be strings");
                }
                Long count = args.length > 2 && args[2] instanceof Number n ? n.longValue() : null;
                yield JsValues.replace(s, old, rep, count);
            }
            default -> NOT_HANDLED;
        };
    }

    private static Boolean affix(String s, String name, Object[] args) {
        if (args.length == 0) throw new IllegalArgumentException(name + "() requires at least one argument");
        List<Object> options = args[0] instanceof List<?> l ? new ArrayList<>(l) : List.of(args[0]);
        for (Object o : options) {
            if (!(o instanceof String p)) throw new IllegalArgumentException(name + "() argument must be a string or tuple of strings");
            if (name.equals("startswith") ? s.startsWith(p) : s.endsWith(p)) return true;
        }
        return false;
    }

    private static Object dictMethod(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "get" -> {
                if (args.length == 0 || !(args[0] instanceof String key)) throw new IllegalArgumentException("Object key must be a string");
                yield map.containsKey(key) ? map.get(key) : args.length > 1 ? args[1] : null;
            }
            case "items" -> {
                List<Object> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : map.entrySet()) items.add(new ArrayList<>(java.util.Arrays.asList(e.getKey(), e.getValue())));
                yield items;
            }
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            default -> NOT_HANDLED;
        };
    }

    private static Object resolved(ELContext context, Object value) {
        context.setPropertyResolved(true);
        return value;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return Object.class;
    }
}
