package dev.slmops.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code slmops} command. Each subcommand is a thin shell over a public API of the layers below. */
@Command(name = "slmops",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Small-language-model operations on the JVM: inspect, convert, run, fine-tune, quantize, serve.",
        subcommands = {
                CommandLine.HelpCommand.class,
                InspectCommand.class,
                ConvertCommand.class,
                InitCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                BenchCommand.class,
                ServeCommand.class,
                MergeCommand.class,
                ModelCommand.class,
                CacheCommand.class,
                QuantizeCommand.class,
                ImatrixCommand.class,
                PerplexityCommand.class,
                CompareCommand.class,
                QualityReportCommand.class,
                ExportCommand.class,
                FinetuneCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrors());
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"slmops " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
