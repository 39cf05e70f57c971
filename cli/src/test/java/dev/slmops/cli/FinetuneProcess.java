package dev.slmops.cli;

/** slmops finetune in a child JVM over the test engine (FinetuneCommandTest sends it SIGINT). */
public final class FinetuneProcess {
    public static void main(String[] args) {
        FinetuneCommand.backend = new ByteBigramBackend();
        System.exit(Main.commandLine().execute(args));
    }
}
