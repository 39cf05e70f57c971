package dev.slmops.workflows.export;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.convert.HfExport;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.slmops.model.format.SafeFiles.deleteTree;

/**
 * Writes a model for another runtime into a directory ({@link ExportFormat}). The directory is built next to the
 * target under a temporary name and renamed into place at the end, so a failed export leaves nothing behind and an
 * existing directory is only replaced when asked.
 */
public final class ModelExport {
    /** Name of the GGUF file in gguf / ollama exports. */
    public static final String GGUF_FILE = "model.gguf";
    public static final String ADAPTER_FILE = "adapter.gguf";
    public static final String MODELFILE = "Modelfile";
    public static final String FOUNDRY_MANIFEST = "inference_model.json";
    public static final String FOUNDRY_README = "FOUNDRY_LOCAL.md";

    private ModelExport() {
    }

    /**
     * @param format  target runtime
     * @param dtype   weight type; null: GGUF sources are copied as they are (quantized stays quantized) for gguf and
     *                ollama, and F16 is written otherwise
     * @param adapter a GGUF LoRA adapter to reference (ollama only), or null
     * @param name    the model's name in the target runtime (null: the output directory's name)
     * @param force   replace an existing output directory
     */
    public record Request(ExportFormat format, DType dtype, Path adapter, String name, boolean force) {
    }

    /** @param files what was written, relative to the output directory; @param notes lines for the user */
    public record Result(Path output, List<Path> files, List<String> notes) {
    }

    public static Result export(Path model, Path output, Request request, Consumer<String> warnings) throws IOException {
        if (request.dtype() != null && (!request.dtype().isFloat() || request.dtype() == DType.F64)) {
            throw new IllegalArgumentException("--dtype for export is f32, f16 or bf16 (quantize with slmops quantize first), not "
                    + request.dtype());
        }
        if (request.adapter() != null && request.format() != ExportFormat.OLLAMA) {
            throw new IllegalArgumentException("--adapter is written as an Ollama ADAPTER line; for " + request.format().cliName
                    + " merge the adapter into the model first (slmops merge), then export the merged model");
        }
        if (request.adapter() != null) requireGgufAdapter(request.adapter());
        Path out = output.toAbsolutePath().normalize();
        if (Files.exists(out) && !request.force()) {
            throw new IllegalArgumentException(output + " already exists; pass --force to replace it");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(output + " is a file; export writes a directory");
        }
        String name = request.name() != null ? request.name() : out.getFileName().toString();
        Files.createDirectories(out.getParent());
        Path stage = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".export-");
        List<String> notes = new ArrayList<>();
        try (ModelFiles files = ModelFiles.open(model)) {
            switch (request.format()) {
                case GGUF -> writeGguf(files, request.dtype(), stage.resolve(GGUF_FILE), warnings);
                case SAFETENSORS -> writeHf(files, request.dtype(), stage, warnings);
                case OLLAMA -> {
                    writeGguf(files, request.dtype(), stage.resolve(GGUF_FILE), warnings);
                    Optional<String> adapter = Optional.empty();
                    if (request.adapter() != null) {
                        Files.copy(request.adapter(), stage.resolve(ADAPTER_FILE));
                        adapter = Optional.of(ADAPTER_FILE);
                    }
                    ChatTranslation chat = ChatTranslation.of(files.chatTemplate(), files.tokenizer());
                    Files.writeString(stage.resolve(MODELFILE), OllamaModelfile.render(GGUF_FILE, chat, adapter));
                    notes.add(chat.note());
                    notes.add("import with: ollama create " + name + " -f " + out.resolve(MODELFILE));
                    if (!chat.recognised()) warnings.accept(chat.note());
                }
                case FOUNDRY_LOCAL -> {
                    writeHf(files, request.dtype(), stage, warnings);
                    ChatTranslation chat = ChatTranslation.of(files.chatTemplate(), files.tokenizer());
                    JsonFiles.mapper().writerWithDefaultPrettyPrinter().writeValue(stage.resolve(FOUNDRY_MANIFEST).toFile(),
                            FoundryLocalManifest.of(name, "1", chat, files.config()));
                    Files.writeString(stage.resolve(FOUNDRY_README), foundryReadme(name), StandardCharsets.UTF_8);
                    notes.add(chat.note());
                    notes.add("ONNX Runtime files (model.onnx, genai_config.json) are NOT produced: Foundry Local cannot run "
                            + "this directory until they are built from the safetensors here (see " + FOUNDRY_README + ")");
                    if (!chat.recognised()) warnings.accept(chat.note());
                }
            }
            List<Path> written = list(stage);
            replace(stage, out);
            return new Result(out, written, notes);
        } catch (IOException | RuntimeException e) {
            deleteTree(stage);
            throw e;
        }
    }

    private static void writeGguf(ModelFiles files, DType dtype, Path target, Consumer<String> warnings) throws IOException {
        if (dtype == null && files.format() == ModelFiles.Format.GGUF) {
            Files.copy(files.path(), target); // as it is, quantized types included
        } else {
            GgufExport.write(files, dtype == null ? DType.F16 : dtype, target, warnings);
        }
    }

    private static void writeHf(ModelFiles files, DType dtype, Path stage, Consumer<String> warnings) throws IOException {
        Path hf = stage.resolve(".hf");
        HfExport.write(files, dtype == null ? DType.F16 : dtype, hf, false, warnings);
        try (Stream<Path> s = Files.list(hf)) {
            for (Path p : s.toList()) Files.move(p, stage.resolve(p.getFileName()));
        }
        Files.delete(hf);
    }

    private static void requireGgufAdapter(Path adapter) throws IOException {
        if (!Files.isRegularFile(adapter)) {
            throw new IllegalArgumentException("adapter " + adapter + " is not a file: Ollama takes a GGUF LoRA adapter (.gguf)");
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(adapter)) {
            if (in.readNBytes(magic, 0, 4) != 4 || !new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) {
                throw new IllegalArgumentException("adapter " + adapter + " is not a GGUF file: Ollama's ADAPTER takes a GGUF LoRA "
                        + "adapter; convert a PEFT adapter to GGUF first");
            }
        }
    }

    private static String foundryReadme(String name) {
        return """
                # %s for Foundry Local (written by slmops export)

                This directory holds what slmops can produce for a Foundry Local custom model:
                `inference_model.json` (Name, Version, PromptTemplate from the model's chat template, ModelConfig),
                the Hugging Face config, tokenizer files and safetensors weights.

                **Not produced: the ONNX Runtime GenAI files** (`model.onnx`, `model.onnx.data`, `genai_config.json`)
                that Foundry Local runs. Build them from this directory with ONNX Runtime GenAI's model builder
                (for example `python -m onnxruntime_genai.models.builder -i . -o . -p int4 -e cpu`) or Olive, keep
                `inference_model.json`, then place the directory in Foundry Local's model cache
                (`foundry cache location`) and run `foundry model run %s`.
                """.formatted(name, name);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }

    /** Moves {@code stage} to {@code out}; an existing {@code out} is moved aside first and deleted after. */
    private static void replace(Path stage, Path out) throws IOException {
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling("." + out.getFileName() + ".old-" + System.nanoTime());
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(stage, out, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) deleteTree(old);
    }

}
