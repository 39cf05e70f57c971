package dev.slmops.train.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A text template over a record's fields: {@code "Question: {question}\nAnswer: {answer}"}. {@code {name}} is the
 * field's value (strings as they are, numbers and booleans as JSON writes them); {@code {{} and {@code }}} are
 * literal braces.
 */
public final class TextTemplate {
    private final String source;
    private final List<String> literals = new ArrayList<>(); // literal i comes before field i
    private final List<String> fields = new ArrayList<>();

    private TextTemplate(String source) {
        this.source = source;
    }

    public static TextTemplate parse(String template) {
        TextTemplate t = new TextTemplate(template);
        StringBuilder lit = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char ch = template.charAt(i);
            if (ch == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                lit.append('{');
                i++;
            } else if (ch == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
                lit.append('}');
                i++;
            } else if (ch == '{') {
                int end = template.indexOf('}', i);
                if (end < 0) throw new IllegalArgumentException("template \"" + template + "\": '{' at " + i + " is not closed (write {{ for a literal brace)");
                String name = template.substring(i + 1, end).strip();
                if (name.isEmpty()) throw new IllegalArgumentException("template \"" + template + "\": empty {} at " + i);
                t.literals.add(lit.toString());
                t.fields.add(name);
                lit.setLength(0);
                i = end;
            } else if (ch == '}') {
                throw new IllegalArgumentException("template \"" + template + "\": '}' at " + i + " has no '{' (write }} for a literal brace)");
            } else {
                lit.append(ch);
            }
        }
        t.literals.add(lit.toString());
        return t;
    }

    public List<String> fields() {
        return List.copyOf(fields);
    }

    /** Fills the template from a JSON record; a missing or null field is an IllegalArgumentException naming it. */
    public String render(JsonNode record) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            sb.append(literals.get(i));
            JsonNode v = record.get(fields.get(i));
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException("has no field \"" + fields.get(i) + "\" (used by the template \"" + source + "\")");
            }
            if (v.isContainerNode()) {
                throw new IllegalArgumentException("field \"" + fields.get(i) + "\" is " + (v.isArray() ? "an array" : "an object")
                        + "; a template inserts text, numbers or booleans");
            }
            sb.append(v.isTextual() ? v.asText() : v.toString());
        }
        sb.append(literals.getLast());
        return sb.toString();
    }

    @Override
    public String toString() {
        return source;
    }
}
