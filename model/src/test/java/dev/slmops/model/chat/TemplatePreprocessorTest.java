package dev.slmops.model.chat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the preprocessor hands Jinjava, one rewrite at a time (the parity test checks the rendered results). */
class TemplatePreprocessorTest {
    private static String pre(String template) {
        return TemplatePreprocessor.toJinjava(template, name -> !name.equals("nosuch"), name -> !name.equals("nosuch"));
    }

    @Test
    void whitespaceIsResolvedBeforeJinjavaSeesTheTemplate() {
        assertThat(pre("a\n  {% if x %}\nb\n  {%- endif %}  \nc\n")).isEqualTo("a\n{% if x %}b{% endif %}  \nc");
        assertThat(pre("x {#- note -#}  y {# kept? #}z")).isEqualTo("xy z");
        assertThat(pre("<{% generation %}g{% endgeneration %}>")).isEqualTo("<g>");
    }

    @Test
    void expressionsPrintThroughTheDisplayFilter() {
        assertThat(pre("{{- 'a\\n' + x -}}")).isEqualTo("{{ (\"a\n\" + x)|__slmops_display }}");
    }

    @Test
    void slicesNotNamedArgumentsAndNamespace() {
        assertThat(pre("{% for m in messages[::-1] %}{% endfor %}"))
                .isEqualTo("{% for m in messages[__slmops_slice(none, none, -1)] %}{% endfor %}");
        assertThat(pre("{% if not m.tool_calls|length == 1 %}{% endif %}"))
                .isEqualTo("{% if not (m.tool_calls|length == 1) %}{% endif %}");
        assertThat(pre("{% set x = 1 %}{{ x is not none }}{{ 1 not in y }}")).contains("x is not none").contains("1 not in y");
        assertThat(pre("{{ t | tojson(indent=n - 1) }}")).contains("tojson(indent=(n - 1))");
        assertThat(pre("{% set ns = namespace(a=1, b=none) %}")).isEqualTo("{% set ns = __slmops_namespace(\"a\", (1),\"b\", (none)) %}");
    }

    @Test
    void existenceTestsLookAtTheContainer() {
        assertThat(pre("{{ m.reasoning is defined }}")).contains("__slmops_has(m, \"reasoning\")");
        assertThat(pre("{{ m['k'] is not none }}")).contains("not (__slmops_key_is_none(m, \"k\"))");
        assertThat(pre("{{ tools is defined }}")).contains("__slmops_var_defined(\"tools\")");
        assertThat(pre("{{ x|length is defined }}")).contains("x|length is defined");
        assertThat(pre("{% set y = 1 %}{{ y is none }}{{ z is none }}")).contains("y is none").contains("__slmops_var_is_none(\"z\")");
    }

    @Test
    void unknownFiltersFailWhenReached() {
        assertThat(pre("{{ x | nosuch(1) }}")).contains("|__slmops_unknown_filter(\"nosuch\", 1)");
        assertThat(pre("{% set x = 1 %}{{ x is not nosuch }}")).contains("x is not __slmops_unknown_test \"nosuch\"");
    }
}
