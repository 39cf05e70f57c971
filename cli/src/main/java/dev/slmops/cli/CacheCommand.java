package dev.slmops.cli;

import dev.slmops.workflows.cache.ModelCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code slmops cache ls|pwd|rm|clean}, Foundry Local's cache verbs over the same cache as {@code slmops model}. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"The model cache directory: list, show its path, remove a model, clean partial downloads."},
        subcommands = {ModelCommand.ListModels.class, CacheCommand.Pwd.class, ModelCommand.Remove.class, CacheCommand.Clean.class})
final class CacheCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "pwd", mixinStandardHelpOptions = true, description = "Print the cache directory ($SLMOPS_HOME or ~/.slmops).")
    static final class Pwd implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(ModelCache.defaultCache().root());
            return 0;
        }
    }

    @Command(name = "clean", mixinStandardHelpOptions = true, description = "Delete partial downloads and snapshots no revision points to.")
    static final class Clean implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            long freed = ModelCache.defaultCache().clean();
            System.out.println("freed " + InspectCommand.bytes(freed));
            return 0;
        }
    }
}
