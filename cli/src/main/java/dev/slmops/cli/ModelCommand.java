package dev.slmops.cli;

import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.load.ModelReport;
import dev.slmops.workflows.cache.HubClient;
import dev.slmops.workflows.cache.HubRef;
import dev.slmops.workflows.cache.ModelCache;
import dev.slmops.workflows.cache.ModelPuller;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code slmops model pull|list|info|rm|alias}: the local model cache, Ollama/Foundry Local style. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = {"Pull models from the Hugging Face hub into the local cache and manage them.",
                "The cache is $SLMOPS_HOME (default ~/.slmops); HF_ENDPOINT and HF_TOKEN are honoured."},
        subcommands = {ModelCommand.Pull.class, ModelCommand.ListModels.class, ModelCommand.Info.class,
                ModelCommand.Remove.class, ModelCommand.Alias.class})
final class ModelCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Download a model: owner/name (its safetensors or only GGUF), owner/name:file.gguf, @revision.",
                    "Resumes interrupted downloads; verifies every file's checksum."})
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "REF", description = "owner/name[:file][@revision], e.g. HuggingFaceTB/SmolLM2-135M-Instruct")
        String ref;

        @Option(names = "--include", split = ",", description = "Glob patterns of files to pull instead of the model's default files.")
        List<String> include = List.of();

        @Option(names = "--parallel", defaultValue = "4", description = "Files downloaded at once (default: ${DEFAULT-VALUE}).")
        int parallel;

        @Option(names = "--offline", description = "Never touch the network (also HF_HUB_OFFLINE=1): succeed only if cached.")
        boolean offline;

        @Option(names = "--alias", description = "Also name the model with this alias.")
        String alias;

        @Override
        public Integer call() throws Exception {
            HubRef hubRef = HubRef.parse(ref);
            boolean off = offline || "1".equals(System.getenv("HF_HUB_OFFLINE"));
            ModelCache cache = ModelCache.defaultCache();
            DownloadProgress progress = new DownloadProgress();
            ModelPuller.Result r = new ModelPuller(cache, HubClient.fromEnvironment())
                    .pull(hubRef, new ModelPuller.Options(off, parallel, include, 3), progress);
            progress.finish();
            if (alias != null) cache.setAlias(alias, hubRef.toString());
            System.out.printf(Locale.ROOT, "%s %s (commit %s)%n%s%n", r.wasCached() ? "up to date:" : "pulled",
                    hubRef, r.commit().substring(0, Math.min(12, r.commit().length())), r.path());
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List cached models and aliases.")
    static final class ListModels implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            ModelCache cache = ModelCache.defaultCache();
            List<ModelCache.Entry> entries = cache.list();
            if (entries.isEmpty()) System.out.println("no models in " + cache.root() + " (slmops model pull owner/name)");
            else System.out.printf("%-44s %-12s %10s  %s%n", "MODEL", "COMMIT", "SIZE", "ALIASES");
            for (ModelCache.Entry e : entries) {
                System.out.printf(Locale.ROOT, "%-44s %-12s %10s  %s%n", e.repo(), e.commit().substring(0, Math.min(12, e.commit().length())),
                        InspectCommand.bytes(e.bytes()), String.join(", ", e.aliases()));
            }
            Map<String, String> aliases = cache.aliases();
            for (var a : aliases.entrySet()) {
                if (!dev.slmops.workflows.cache.HubRef.looksLikeHubId(a.getValue())) {
                    System.out.printf("%-44s %-12s %10s  %s%n", a.getValue(), "(path)", "", a.getKey());
                }
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Where a model is and what it holds (as inspect).")
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = Models.DESCRIPTION)
        String model;

        @Override
        public Integer call() throws Exception {
            Path path = Models.resolve(model);
            ModelReport r;
            try (ModelFiles files = ModelFiles.open(path)) {
                r = ModelReport.of(files);
            }
            System.out.printf("path           %s%n", path.toAbsolutePath());
            System.out.printf("architecture   %s, %s parameters, %s (%s)%n", r.architecture(), InspectCommand.human(r.parameters(), ""),
                    InspectCommand.bytes(r.tensorBytes()), r.format());
            System.out.printf("tokenizer      %s%n", r.tokenizer().error() == null ? r.tokenizer().kind() + ", " + r.tokenizer().vocabSize() + " tokens" : "none");
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a pulled model (and the aliases that name it) from the cache.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "owner/name or an alias of a pulled model.")
        String model;

        @Override
        public Integer call() throws Exception {
            long freed = ModelCache.defaultCache().remove(model);
            System.out.println("removed " + model + ", freed " + InspectCommand.bytes(freed));
            return 0;
        }
    }

    @Command(name = "alias", mixinStandardHelpOptions = true, description = "Name a model (hub id or path) with a short alias; --delete removes one.")
    static final class Alias implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "MODEL", description = "owner/name[:file][@rev] or a path.")
        String target;

        @Option(names = "--delete", description = "Remove the alias.")
        boolean delete;

        @Override
        public Integer call() throws Exception {
            ModelCache cache = ModelCache.defaultCache();
            if (delete) {
                if (!cache.removeAlias(name)) throw new IllegalArgumentException("no alias '" + name + "'");
                System.out.println("removed alias " + name);
                return 0;
            }
            if (target == null) throw new IllegalArgumentException("give the model the alias names: slmops model alias NAME MODEL");
            String stored = target;
            if (!HubRef.looksLikeHubId(target)) {
                Path p = Path.of(target);
                if (!java.nio.file.Files.exists(p)) throw new IllegalArgumentException("'" + target + "' does not exist");
                stored = p.toAbsolutePath().normalize().toString();
            }
            cache.setAlias(name, stored);
            System.out.println(name + " -> " + stored);
            return 0;
        }
    }
}
