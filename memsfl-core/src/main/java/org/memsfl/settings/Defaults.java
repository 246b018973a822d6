package org.memsfl.settings;

import java.util.Arrays;
import java.util.List;
import org.memsfl.lora.LoraConfig;

/**
 * Every default a training run has, written once. The CLI's option groups name these constants in their
 * {@code defaultValue} (picocli needs compile-time strings, hence text), and the one settings builder
 * ({@link RunSettings#builder()}, which the simulator runs with and the edge server holds) and the edge server's
 * process settings builder ({@code ServerDeployment.builder}) start from the same values, so that simulate, compare,
 * demo, server, device and finetune agree unless told otherwise. README's option tables quote these values.
 */
public final class Defaults {

    /** The model every command trains or loads unless told ({@code --model}). */
    public static final String MODEL = "stories260K";
    /** {@code --data}: Databricks Dolly 15k, partitioned by category. */
    public static final String DATA = "dolly";
    /** {@code --partition}: natural (Dolly's categories), iid or dirichlet:alpha. */
    public static final String PARTITION = "natural";
    /** {@code --fleet}: the paper's five devices. */
    public static final String FLEET = "paper-5";
    /** {@code --rounds}: federated rounds. */
    public static final String ROUNDS = "4";
    /** {@code --local-steps}: local steps per device per round (I). */
    public static final String LOCAL_STEPS = "8";
    /** {@code --batch-size}: sequences per step. */
    public static final String BATCH_SIZE = "4";
    /** {@code --seq-len}: the longest sequence in tokens (capped at the model's context). */
    public static final String SEQ_LEN = "128";
    /** {@code --lr}: peak learning rate of every optimizer. */
    public static final String LR = "3e-3";
    /** {@code --warmup}: linear warm-up steps of every optimizer. */
    public static final String WARMUP = "5";
    /** {@code --max-grad-norm}: clipping of each side's adapter gradient (0 = none). */
    public static final String MAX_GRAD_NORM = "1.0";
    /** {@code --eval-examples}: held-out examples scored after each round. */
    public static final String EVAL_EXAMPLES = "96";
    /** {@code --scheduler}: memsfl's server order; per round, the policy whose predicted round is shortest. */
    public static final String SCHEDULER = "best";
    /** {@code --aggregation}: FedAvg per layer. */
    public static final String AGGREGATION = "fedavg";
    /** {@code --safety-margin}: the planner's memory margin. */
    public static final String SAFETY_MARGIN = "0.1";
    /** {@code --wire-dtype}: activations and gradients travel in float32. */
    public static final String WIRE_DTYPE = "fp32";
    /** {@code --dtype}: frozen weights and activations in float32. */
    public static final String DTYPE = "fp32";
    /** {@code --device-weights}: devices store their frozen linear weights in float32. */
    public static final String DEVICE_WEIGHTS = "fp32";
    /** {@code --server-recompute}: memsfl's server recomputes its layers' activations (on). */
    public static final String SERVER_RECOMPUTE = "true";
    /** {@code --seed}. */
    public static final String SEED = "0";
    /** {@code --lora-rank}: r. */
    public static final String LORA_RANK = "8";
    /** {@code --lora-alpha}: the update is scaled by alpha / r. */
    public static final String LORA_ALPHA = "16";
    /** {@code --lora-dropout}: on the adapter input. */
    public static final String LORA_DROPOUT = "0";
    /** {@code --lora-targets}: attention projections q, k, v, o. */
    public static final String LORA_TARGETS = "q,k,v,o";

    // the edge server's own (memsfl server), which its process settings builder starts from too

    /** {@code --server-compute}: the server's effective compute the scheduler predicts server times with. */
    public static final String SERVER_COMPUTE = "30TFLOPS";
    /** {@code --max-chunk-bytes}: the largest tensor chunk on the wire (1 MiB). */
    public static final String MAX_CHUNK_BYTES = "1048576";
    /** {@code --step-timeout-s}: how long a device waits for one gradient. */
    public static final String STEP_TIMEOUT_S = "600";
    /** {@code --round-timeout-s}: seconds after a round opens until devices that have not uploaded are left out. */
    public static final String ROUND_TIMEOUT_S = "7200";
    /** {@code --min-devices}: the quorum of uploads a round needs to be aggregated. */
    public static final String MIN_DEVICES = "1";
    /** {@code --max-num-examples}: the largest FedAvg weight one device may claim. */
    public static final String MAX_NUM_EXAMPLES = "1000000";
    /** {@code --max-update-norm}: auto, the most an honest device's AdamW can move ({@code RoundGuards.AUTO}). */
    public static final String MAX_UPDATE_NORM = "auto";
    /** {@code --max-loss-ratio}: the health gate on the held-out loss against the last good round's. */
    public static final String MAX_LOSS_RATIO = "2.0";
    /** {@code --storage-retry-s}: how long a failing checkpoint write is retried before the server stops. */
    public static final String STORAGE_RETRY_S = "600";

    private Defaults() {
    }

    public static int rounds() {
        return Integer.parseInt(ROUNDS);
    }

    public static int localSteps() {
        return Integer.parseInt(LOCAL_STEPS);
    }

    public static int batchSize() {
        return Integer.parseInt(BATCH_SIZE);
    }

    public static int seqLen() {
        return Integer.parseInt(SEQ_LEN);
    }

    public static double lr() {
        return Double.parseDouble(LR);
    }

    public static int warmup() {
        return Integer.parseInt(WARMUP);
    }

    public static double maxGradNorm() {
        return Double.parseDouble(MAX_GRAD_NORM);
    }

    public static int evalExamples() {
        return Integer.parseInt(EVAL_EXAMPLES);
    }

    public static double safetyMargin() {
        return Double.parseDouble(SAFETY_MARGIN);
    }

    public static boolean serverRecompute() {
        return Boolean.parseBoolean(SERVER_RECOMPUTE);
    }

    /** The default adapters: rank, alpha, dropout and targets above. */
    public static LoraConfig lora() {
        List<String> targets = Arrays.asList(LORA_TARGETS.split(","));
        return new LoraConfig(Integer.parseInt(LORA_RANK), Double.parseDouble(LORA_ALPHA),
                Double.parseDouble(LORA_DROPOUT), targets);
    }
}
