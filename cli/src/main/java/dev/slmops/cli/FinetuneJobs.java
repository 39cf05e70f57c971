package dev.slmops.cli;

import dev.slmops.train.checkpoint.CheckpointStore;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A recipe's {@code adapters} list (see {@link FinetuneRecipe}): several adapters trained one after another on one
 * base, which the shared backend loads (and for qlora quantizes) once. Each job is an ordinary {@code slmops finetune}
 * run with its own output directory (its adapter/ PEFT directory, adapter.gguf, checkpoints, metrics); a job that
 * fails is reported and the next one runs, so finished adapters are never lost to a later failure.
 *
 * <p>With {@code --resume}, a killed recipe continues where it stopped: a job whose output holds checkpoints resumes
 * from the newest, a job whose output holds a finished adapter and no checkpoint is skipped, any other starts fresh.
 */
final class FinetuneJobs {
    private FinetuneJobs() {
    }

    /** What happened to one job. */
    record Outcome(String name, Path output, String result, boolean failed) {
    }

    /** Runs every job; exit 0 when all finished, 130 when interrupted (Ctrl-C), 1 when some failed. */
    static int run(FinetuneCommand top, FinetuneRecipe.Recipe recipe) throws Exception {
        PrintWriter err = top.spec.commandLine().getErr();
        List<String> commandLine = top.commandLineArguments();
        // the parent output and the resume switch, as the top level and the command line give them
        FinetuneCommand shared = top.withArguments(List.of(recipe.args(), commandLine));
        if (shared.resume != null && !shared.resume.equals("latest")) {
            throw new IllegalArgumentException("--resume " + shared.resume + ": in a recipe of adapters --resume continues "
                    + "each job from its own newest checkpoint and takes no path (a job may name its own: resume: PATH)");
        }
        TrainingBackend own = FinetuneCommand.backend != null ? null : top.newBackend();
        FinetuneBackend engine = own != null ? own : FinetuneCommand.backend;
        List<Outcome> outcomes = new ArrayList<>();
        int code = 0;
        try {
            for (FinetuneRecipe.Job job : recipe.jobs()) {
                err.printf(Locale.ROOT, "== adapter job %s (%d of %d)%n", job.name(), outcomes.size() + 1, recipe.jobs().size());
                err.flush();
                Path output = null;
                try {
                    FinetuneCommand cmd = top.withArguments(List.of(recipe.args(), commandLine, job.args()));
                    if (!job.ownOutput()) {
                        if (shared.output == null) {
                            throw new IllegalArgumentException("job " + job.name() + " has no output: give output at the "
                                    + "top level (a parent directory: each job writes <output>/<name>) or in the job");
                        }
                        cmd.output = shared.output.resolve(job.name());
                    }
                    output = cmd.output;
                    if (cmd.resume != null && cmd.resume.equals("latest") && output != null) {
                        dev.slmops.train.checkpoint.AtomicFiles.removeLeftovers(output);
                        if (CheckpointStore.list(output).isEmpty()) {
                            if (!FinetuneCommand.finishedOutputs(output).isEmpty()) {
                                outcomes.add(new Outcome(job.name(), output, "already finished (skipped)", false));
                                continue;
                            }
                            cmd.resume = null; // never started: start it now
                        }
                    }
                    int rc = cmd.train(engine);
                    if (rc == 130) {
                        outcomes.add(new Outcome(job.name(), output, "interrupted: continue with --resume", true));
                        code = 130;
                        break;
                    }
                    outcomes.add(new Outcome(job.name(), output, "done", false));
                } catch (Exception | OutOfMemoryError e) {
                    String why = UserErrors.message(e instanceof Exception ex ? ex : new RuntimeException(e.toString()));
                    err.println("error: adapter job " + job.name() + " failed: " + why);
                    if (System.getenv("SLMOPS_DEBUG") != null) e.printStackTrace(err);
                    err.flush();
                    outcomes.add(new Outcome(job.name(), output, "FAILED: " + why, true));
                }
            }
        } finally {
            if (own != null) own.close();
        }
        err.println("adapter jobs:");
        for (Outcome o : outcomes) {
            err.printf(Locale.ROOT, "  %-20s %s%s%n", o.name(), o.result(), o.output() == null ? "" : "  (" + o.output() + ")");
        }
        err.flush();
        if (code == 0 && outcomes.stream().anyMatch(Outcome::failed)) code = 1;
        return code;
    }
}
