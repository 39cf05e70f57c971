package dev.slmops.model.lora;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.format.peft.PeftAdapterFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads an adapter from either form a user has: a PEFT directory or a GGUF LoRA file. */
public final class LoraFiles {
    private LoraFiles() {
    }

    /** Reads {@code path} and checks it fits a base model of config {@code c}. */
    public static LoraAdapter load(Path path, ModelConfig c) throws IOException {
        LoraAdapter a;
        if (Files.isDirectory(path)) {
            a = PeftAdapterFiles.read(path);
        } else if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".gguf")) {
            a = GgufLoraFiles.read(path, c);
        } else if (!Files.exists(path)) {
            throw new ModelFileException(path, "does not exist: expected a PEFT adapter directory or a GGUF LoRA file");
        } else {
            throw new ModelFileException(path, "is neither a PEFT adapter directory (adapter_config.json + "
                    + "adapter_model.safetensors) nor a .gguf LoRA file");
        }
        try {
            a.checkFits(c);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(path, e.getMessage());
        }
        return a;
    }
}
