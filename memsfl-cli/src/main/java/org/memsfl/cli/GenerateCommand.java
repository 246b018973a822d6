package org.memsfl.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.memsfl.lora.AdapterSet;
import org.memsfl.model.LoadedModel;
import org.memsfl.tokenizer.Tokenizer;
import org.memsfl.train.Generator;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Text continuation with a KV cache: greedy at temperature 0, else top-p sampling. */
@Command(name = "generate", description = "Continue a prompt (greedy at --temperature 0, else top-p sampling).")
public final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;
    @Mixin
    AdapterOption adapterOption;
    @Mixin
    CommonOptions common;
    @Mixin
    TemplateOption templateOption;

    @Option(names = "--prompt", defaultValue = "", description = "Prompt text (default: empty, i.e. BOS only).")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--truncate", description = "left: drop the start of a prompt longer than the context, keeping the"
            + " last tokens that leave room for --max-tokens (default: such a prompt is refused).")
    String truncate;

    @Override
    public Integer call() {
        if (truncate != null && !truncate.equals("left")) {
            throw new BadInputException("--truncate must be 'left', got '" + truncate + "'");
        }
        if (maxTokens < 0) {
            throw new BadInputException("--max-tokens must be >= 0, got " + maxTokens);
        }
        try (LoadedModel loaded = modelOptions.load()) {
            Tokenizer tok = loaded.tokenizer();
            if (tok == null) {
                throw new BadInputException("model " + loaded.id() + " has no tokenizer; generate needs one");
            }
            AdapterSet adapters = adapterOption.load(loaded.config());
            // --template: with a chat template the prompt is the user's turn, followed by the assistant header
            java.util.Optional<org.memsfl.chat.ChatTemplate> template = prompt.isEmpty() ? java.util.Optional.empty()
                    : templateOption.resolve(modelOptions.model, loaded.id());
            int[] ids;
            if (template.isPresent()) {
                ids = tok.encode(template.get().render(java.util.List.of(org.memsfl.chat.ChatMessage.user(prompt)), true));
            } else {
                int[] body = tok.encode(prompt);
                // the checkpoint's own convention; an empty prompt starts from BOS where there is one (as HF generate)
                boolean bos = tok.bosId().isPresent() && (tok.addsBos() || body.length == 0);
                ids = bos ? prepend(tok.bosId().getAsInt(), body) : body;
            }
            if (ids.length == 0) {
                throw new BadInputException("--prompt is empty and the tokenizer has no BOS token to start from");
            }
            int context = loaded.config().maxSeqLen();
            int dropped = 0;
            if (ids.length > context) {
                if (truncate == null) {
                    throw new BadInputException("--prompt is " + ids.length + " tokens but the model's context is "
                            + context + " tokens; shorten it or pass --truncate left");
                }
                int keep = Math.max(1, context - maxTokens);
                dropped = ids.length - keep;
                ids = Arrays.copyOfRange(ids, dropped, ids.length);
                System.err.printf("memsfl generate: --truncate left dropped the first %d of %d prompt tokens%n", dropped,
                        dropped + keep);
            }
            Generator.Settings s = new Generator.Settings(maxTokens, temperature, topP, common.seed, true);
            Generator.Result result = new Generator(loaded.model(), adapters).run(ids, s, tok.eosId().orElse(-1));
            int[] out = result.ids();
            if (result.stopped() == Generator.Stop.CONTEXT) {
                System.err.printf("memsfl generate: stopped after %d of %d tokens: the context of %d tokens is full%n",
                        out.length, maxTokens, context);
            }
            int[] all = concat(ids, out);
            String text = tok.decode(all);
            if (common.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", loaded.id());
                j.put("prompt", prompt);
                j.put("template", template.map(org.memsfl.chat.ChatTemplate::name).orElse("plain"));
                j.put("prompt_ids", ids);
                j.put("ids", out);
                j.put("stopped", result.stopped().name().toLowerCase(java.util.Locale.ROOT));
                j.put("prompt_tokens_dropped", dropped);
                j.put("text", text);
                j.put("temperature", temperature);
                j.put("seed", common.seed);
                System.out.println(Json.pretty(j));
            } else {
                System.out.println(text);
            }
            return Main.EXIT_OK;
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] r = new int[rest.length + 1];
        r[0] = first;
        System.arraycopy(rest, 0, r, 1, rest.length);
        return r;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
