package dev.slmops.workflows.export;

import java.util.Optional;

/**
 * An Ollama Modelfile for a GGUF file next to it: FROM, TEMPLATE (Go template), SYSTEM (the template's default
 * system prompt), PARAMETER stop per end text, ADAPTER for a GGUF LoRA. Paths are relative to the Modelfile, so the
 * directory can be moved and then imported with {@code ollama create NAME -f Modelfile}.
 */
public final class OllamaModelfile {
    private OllamaModelfile() {
    }

    public static String render(String ggufFileName, ChatTranslation chat, Optional<String> adapterFileName) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by slmops export; ").append(chat.note()).append(".\n");
        sb.append("FROM ./").append(ggufFileName).append('\n');
        adapterFileName.ifPresent(a -> sb.append("ADAPTER ./").append(a).append('\n'));
        sb.append("TEMPLATE \"\"\"").append(chat.family().goTemplate).append("\"\"\"\n");
        chat.defaultSystem().ifPresent(s -> sb.append("SYSTEM \"\"\"").append(s).append("\"\"\"\n"));
        for (String stop : chat.stops()) sb.append("PARAMETER stop ").append(quote(stop)).append('\n');
        return sb.toString();
    }

    /** A Modelfile string argument: double-quoted, with \ and " escaped. */
    static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
