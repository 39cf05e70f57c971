package dev.slmops.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.tree.Node;
import jinjava.javax.el.CompositeELResolver;

import java.util.Map;

/**
 * One Jinjava set up to render Hugging Face chat templates as transformers.js does: our preprocessing
 * ({@link TemplatePreprocessor}) in place of Jinjava's whitespace handling, our method resolver in front of
 * Jinjava's, and the filters, tests, functions and for-tag of this package registered over Jinjava's. The
 * Jinjava instance is shared (it holds only configuration); each render gets its own interpreter, so renders
 * may run on many threads at once over one compiled {@link Node} tree.
 */
final class TemplateEngine {
    private TemplateEngine() {
    }

    private static final Jinjava JINJAVA = create();

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new TemplateMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withNestedInterpretationEnabled(false)   // message text containing "{{" must print as is
                .withFailOnUnknownTokens(false)
                .withElResolver(resolver)
                .build();
        Jinjava j = new Jinjava(config);
        j.registerTag(new TemplateForTag());
        TemplateFunctions.definitions().forEach(j::registerFunction);
        TemplateFilters.filters().forEach(j::registerFilter);
        TemplateFilters.tests().forEach(j::registerExpTest);
        return j;
    }

    /** Preprocesses and parses an HF template once; syntax errors found at this point become IAE. */
    static Node compile(String hfTemplate) {
        String jinjavaSource = TemplatePreprocessor.toJinjava(hfTemplate,
                name -> JINJAVA.getGlobalContext().getFilter(name) != null,
                name -> JINJAVA.getGlobalContext().getExpTest(name) != null);
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Node root = interpreter.parse(jinjavaSource);
            throwOnFatal(interpreter);
            return root;
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /** Renders a compiled template with the given variables; any fatal template error becomes IAE. */
    static String render(Node root, Map<String, Object> variables) {
        Context context = new Context(JINJAVA.getGlobalContext(), variables, JINJAVA.getGlobalConfig().getDisabled());
        JinjavaInterpreter interpreter = new JinjavaInterpreter(JINJAVA, context, JINJAVA.getGlobalConfig());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(root);
            throwOnFatal(interpreter);
            return out;
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith("chat template")) throw iae;
            throw new IllegalArgumentException("chat template: " + messageOf(e), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    private static void throwOnFatal(JinjavaInterpreter interpreter) {
        for (TemplateError error : interpreter.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable cause = error.getException();
                String message = cause != null ? messageOf(cause) : error.getMessage();
                throw new IllegalArgumentException("chat template: " + message
                        + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""), cause);
            }
        }
    }

    /** raise_exception's own message when it is in the cause chain, else the deepest message. */
    private static String messageOf(Throwable t) {
        String deepest = t.getMessage();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateFunctions.RaisedException r) return r.getMessage();
            if (c.getMessage() != null) deepest = c.getMessage();
        }
        return deepest;
    }
}
