package dev.slmops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code --config recipe.yaml}: a flat YAML mapping whose keys are the command's long flags without the dashes
 * ({@code lr: 2e-4}, {@code lora-r: 16}, {@code target-modules: [q_proj, v_proj]}; underscores are accepted for
 * dashes). It is turned into the arguments it stands for, placed before the command line's own, so flags given on
 * the command line win and every value is converted and checked exactly as a flag would be.
 *
 * <p>Several adapters on one base, one after another: an {@code adapters} list of jobs, each a mapping with a
 * {@code name} and any flags of its own (the same keys); the top level holds what they share. A job's keys win over
 * the command line, which wins over the top level. The base ({@code model}, {@code method}, {@code quant-type},
 * {@code threads}) is the top level's only: it is loaded once for all jobs.
 * <pre>
 *   model: base.gguf
 *   method: qlora
 *   output: runs            # each job writes runs/NAME unless it names its own output
 *   lora-r: 16
 *   adapters:
 *     - name: support
 *       data: support.jsonl
 *     - name: sql
 *       data: sql.jsonl
 *       lora-r: 32
 *       modules-to-save: [lm_head]
 * </pre>
 */
final class FinetuneRecipe {
    private FinetuneRecipe() {
    }

    /** Keys a job may not set: they define the base all jobs share. */
    static final Set<String> BASE_KEYS = Set.of("model", "method", "quant-type", "qlora-type", "threads", "config");

    /** One adapter job of a recipe: its name, its own arguments, whether it names its output itself. */
    record Job(String name, List<String> args, boolean ownOutput) {
    }

    /** A parsed recipe: the top level's arguments and the jobs of its {@code adapters} list (empty: a single run). */
    record Recipe(List<String> args, List<Job> jobs) {
    }

    /** The arguments a recipe file stands for; unknown keys and nested values are errors naming the file. */
    static List<String> toArguments(Path recipe, CommandSpec command) throws IOException {
        Recipe r = read(recipe, command);
        if (!r.jobs().isEmpty()) throw new IllegalArgumentException(recipe + ": has an adapters list; run it as a recipe of jobs");
        return r.args();
    }

    static Recipe read(Path recipe, CommandSpec command) throws IOException {
        if (!Files.isRegularFile(recipe)) throw new IOException("--config " + recipe + ": no such file");
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(recipe.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(recipe + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) return new Recipe(List.of(), List.of());
        if (!root.isObject()) throw new IllegalArgumentException(recipe + ": expected a mapping of flag names to values");
        JsonNode adapters = null;
        List<String> args = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (key(e.getKey()).equals("adapters")) {
                adapters = e.getValue();
                continue;
            }
            addArgument(recipe, command, e.getKey(), e.getValue(), args, "");
        }
        if (adapters == null || adapters.isNull()) return new Recipe(args, List.of());
        if (!adapters.isArray() || adapters.isEmpty()) {
            throw new IllegalArgumentException(recipe + ": adapters must be a list of jobs (each a mapping with a name "
                    + "and its own keys, e.g. data and output)");
        }
        List<Job> jobs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < adapters.size(); i++) {
            JsonNode job = adapters.get(i);
            String where = "adapters[" + i + "]";
            if (!job.isObject()) throw new IllegalArgumentException(recipe + ": " + where + " must be a mapping of keys to values");
            String name = job.path("name").asText("");
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new IllegalArgumentException(recipe + ": " + where + " needs a name made of letters, digits, '.', "
                        + "'_' and '-' (it names the job and its output directory), got '" + name + "'");
            }
            if (!names.add(name)) throw new IllegalArgumentException(recipe + ": two jobs are named '" + name + "'");
            List<String> jobArgs = new ArrayList<>();
            boolean ownOutput = false;
            for (Iterator<Map.Entry<String, JsonNode>> it = job.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = key(e.getKey());
                if (k.equals("name")) continue;
                if (BASE_KEYS.contains(k)) {
                    throw new IllegalArgumentException(recipe + ": job '" + name + "' sets '" + e.getKey() + "', which all "
                            + "jobs share (the base is loaded once): set it at the top level");
                }
                OptionSpec o = command.findOption("--" + k);
                if (o != null && o == command.findOption("--output")) ownOutput = true;
                addArgument(recipe, command, e.getKey(), e.getValue(), jobArgs, "job '" + name + "': ");
            }
            jobs.add(new Job(name, jobArgs, ownOutput));
        }
        return new Recipe(args, jobs);
    }

    private static String key(String k) {
        return k.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static void addArgument(Path recipe, CommandSpec command, String rawKey, JsonNode v, List<String> args,
                                    String where) {
        String key = key(rawKey);
        if (key.equals("config")) throw new IllegalArgumentException(recipe + ": a recipe cannot include another (key 'config')");
        OptionSpec option = command.findOption("--" + key);
        if (option == null) {
            throw new IllegalArgumentException(recipe + ": " + where + "unknown key '" + rawKey + "'; keys are the flags of "
                    + "slmops finetune without the dashes (see slmops finetune --help)"
                    + (where.isEmpty() ? "" : ", and name"));
        }
        if (v.isNull()) return;
        String flag = "--" + key;
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : v) {
                if (item.isContainerNode()) throw nested(recipe, rawKey);
                items.add(item.asText());
            }
            args.add(flag + "=" + String.join(",", items));
        } else if (v.isContainerNode()) {
            throw nested(recipe, rawKey);
        } else {
            args.add(flag + "=" + v.asText());
        }
    }

    private static IllegalArgumentException nested(Path recipe, String key) {
        return new IllegalArgumentException(recipe + ": key '" + key + "' must be a value or a list of values, not a mapping");
    }
}
