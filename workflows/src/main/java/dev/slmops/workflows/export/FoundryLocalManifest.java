package dev.slmops.workflows.export;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.ModelConfig;

/**
 * Foundry Local's {@code inference_model.json} for a custom model: {@code Name} (the id {@code foundry model run}
 * takes), {@code Version}, {@code PromptTemplate} (system / user / assistant / prompt, each with a {@code {Content}}
 * placeholder) and {@code ModelConfig} (what slmops knows about the model, for people and tools reading the
 * directory; Foundry Local itself reads the ONNX Runtime GenAI files for that).
 */
public final class FoundryLocalManifest {
    private FoundryLocalManifest() {
    }

    public static ObjectNode of(String name, String version, ChatTranslation chat, ModelConfig config) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("Name", name);
        root.put("Version", version);
        ObjectNode pt = root.putObject("PromptTemplate");
        ChatFamily fam = chat.family();
        pt.put("system", fam.foundrySystem);
        pt.put("user", fam.foundryUser);
        pt.put("assistant", fam.foundryAssistant);
        pt.put("prompt", fam.foundryPrompt);
        ObjectNode mc = root.putObject("ModelConfig");
        mc.put("architecture", config.arch().hfModelType);
        mc.put("context_length", config.contextLength());
        mc.put("vocab_size", config.vocabSize());
        mc.put("chat_format", fam.displayName);
        var stops = mc.putArray("stop");
        chat.stops().forEach(stops::add);
        chat.defaultSystem().ifPresent(s -> mc.put("default_system_prompt", s));
        return root;
    }
}
