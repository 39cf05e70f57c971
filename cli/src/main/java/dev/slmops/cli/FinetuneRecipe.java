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
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --config recipe.yaml}: a flat YAML mapping whose keys are the command's long flags without the dashes
 * ({@code lr: 2e-4}, {@code lora-r: 16}, {@code target-modules: [q_proj, v_proj]}; underscores are accepted for
 * dashes). It is turned into the arguments it stands for, placed before the command line's own, so flags given on
 * the command line win and every value is converted and checked exactly as a flag would be.
 */
final class FinetuneRecipe {
    private FinetuneRecipe() {
    }

    /** The arguments a recipe file stands for; unknown keys and nested values are errors naming the file. */
    static List<String> toArguments(Path recipe, CommandSpec command) throws IOException {
        if (!Files.isRegularFile(recipe)) throw new IOException("--config " + recipe + ": no such file");
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(recipe.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(recipe + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) return List.of();
        if (!root.isObject()) throw new IllegalArgumentException(recipe + ": expected a mapping of flag names to values");
        List<String> args = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey().trim().toLowerCase(Locale.ROOT).replace('_', '-');
            if (key.equals("config")) throw new IllegalArgumentException(recipe + ": a recipe cannot include another (key 'config')");
            OptionSpec option = command.findOption("--" + key);
            if (option == null) {
                throw new IllegalArgumentException(recipe + ": unknown key '" + e.getKey() + "'; keys are the flags of "
                        + "slmops finetune without the dashes (see slmops finetune --help)");
            }
            JsonNode v = e.getValue();
            if (v.isNull()) continue;
            String flag = "--" + key;
            if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) {
                    if (item.isContainerNode()) throw nested(recipe, e.getKey());
                    items.add(item.asText());
                }
                args.add(flag + "=" + String.join(",", items));
            } else if (v.isContainerNode()) {
                throw nested(recipe, e.getKey());
            } else {
                args.add(flag + "=" + v.asText());
            }
        }
        return args;
    }

    private static IllegalArgumentException nested(Path recipe, String key) {
        return new IllegalArgumentException(recipe + ": key '" + key + "' must be a value or a list of values, not a mapping");
    }
}
