package org.memsfl.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture DESIGN.md and STYLE.md promise, as rules over the compiled main classes of every module
 * (ArchUnit; test classes are not imported).
 */
class ArchitectureTest {

    /** The longest a main source file may be. */
    static final int MAX_LINES = 450;

    /** One class of each module, to find where the module's classes are. */
    static final List<String> MODULE_CLASSES = List.of("org.memsfl.split.DeviceSegment", "org.memsfl.sim.SimContext",
            "org.memsfl.grpc.EdgeServer", "org.memsfl.cli.Main", "org.memsfl.bench.ChildJvm");

    static JavaClasses main;
    static Map<String, Path> sources;

    @BeforeAll
    static void importClasses() {
        // each module's own classes (a class directory in the reactor, a jar otherwise), not the whole class path
        Set<Location> modules = new LinkedHashSet<>();
        for (String c : MODULE_CLASSES) {
            try {
                Class<?> k = Class.forName(c, false, ArchitectureTest.class.getClassLoader());
                modules.add(Location.of(k.getProtectionDomain().getCodeSource().getLocation()));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("module class " + c + " is not on the test class path", e);
            }
        }
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importLocations(modules);
        sources = mainSources(Path.of("..").toAbsolutePath().normalize());
    }

    /** Every module's main sources by their path below src/main/java (org/memsfl/.../X.java). */
    static Map<String, Path> mainSources(Path repo) {
        Map<String, Path> out = new HashMap<>();
        try (Stream<Path> modules = Files.list(repo)) {
            for (Path m : modules.filter(p -> Files.isDirectory(p.resolve("src/main/java"))).toList()) {
                Path root = m.resolve("src/main/java");
                try (Stream<Path> files = Files.walk(root)) {
                    files.filter(f -> f.toString().endsWith(".java"))
                            .forEach(f -> out.put(root.relativize(f).toString().replace('\\', '/'), f));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void importedEveryModule() {
        // guards the rules below against passing vacuously on an empty import
        for (String pkg : new String[] {"org.memsfl.split", "org.memsfl.sim.method", "org.memsfl.grpc", "org.memsfl.cli",
                "org.memsfl.bench"}) {
            assertThat(main.containPackage(pkg)).as(pkg).isTrue();
        }
        assertThat(sources).containsKey("org/memsfl/split/DeviceSegment.java");
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("org.memsfl.(**)").should().beFreeOfCycles().check(main);
    }

    /** The packages of the round's training internals: optimizer, schedule, loss, evaluation, segments, aggregation. */
    static final List<String> TRAINING_PACKAGES = List.of("org.memsfl.train", "org.memsfl.split", "org.memsfl.fed");

    /**
     * The only classes of {@link #TRAINING_PACKAGES} a transport may name: the values a step and a round carry (the
     * payloads, the wire format, a step's result), the aggregation strategy it hands the core round (but may not call;
     * see below) and generation-based task evaluation. Everything else there is a training internal, including any
     * class added later: the rule fails closed.
     */
    static final Set<String> ROUND_VALUES = Set.of("org.memsfl.split.ActivationPayload",
            "org.memsfl.split.GradientPayload", "org.memsfl.split.WireFormat", "org.memsfl.train.StepResult",
            "org.memsfl.train.TaskEvalPlan", "org.memsfl.train.TaskEvaluator", "org.memsfl.fed.AggregationStrategy",
            "org.memsfl.fed.Aggregators");

    /** Internals the rule must cover (a guard against a rule that covers nothing, not the rule itself). */
    static final List<String> SOME_INTERNALS = List.of("org.memsfl.train.AdamW", "org.memsfl.train.LrSchedule",
            "org.memsfl.train.GradClip", "org.memsfl.train.LoraTrainer", "org.memsfl.train.Loss",
            "org.memsfl.train.ChunkedHeadLoss", "org.memsfl.train.Evaluator", "org.memsfl.split.DeviceSegment",
            "org.memsfl.split.ServerSegment", "org.memsfl.split.ServerState", "org.memsfl.split.DeviceRecompute",
            "org.memsfl.fed.ClientUpdate", "org.memsfl.fed.AggregationResult", "org.memsfl.fed.FedAvg");

    static boolean trainingInternal(String className) {
        String top = className.split("\\$")[0];
        int dot = top.lastIndexOf('.');
        String pkg = dot < 0 ? "" : top.substring(0, dot);
        return TRAINING_PACKAGES.stream().anyMatch(p -> pkg.equals(p) || pkg.startsWith(p + "."))
                && !ROUND_VALUES.contains(top);
    }

    @Test
    void theRuleCoversTheTrainingInternals() {
        assertThat(SOME_INTERNALS).allMatch(main::contain).allMatch(ArchitectureTest::trainingInternal);
        assertThat(ROUND_VALUES).allMatch(main::contain); // a renamed value must be renamed here too
    }

    /**
     * Transports (memsfl-grpc, memsfl-sim) reach training only through the core round classes: they depend on no class
     * of the training packages but the round's values, and never call an aggregation.
     */
    @Test
    void transportsReachTrainingOnlyThroughTheCoreRound() {
        noClasses().that().resideInAnyPackage("org.memsfl.grpc..", "org.memsfl.sim..")
                .should().dependOnClassesThat(DescribedPredicate.describe("are training internals of the round",
                        (JavaClass k) -> trainingInternal(k.getName())))
                .orShould().callMethodWhere(DescribedPredicate.describe("aggregate adapters",
                        (com.tngtech.archunit.core.domain.JavaMethodCall call) -> call.getTargetOwner()
                                .isAssignableTo("org.memsfl.fed.AggregationStrategy")
                                && call.getName().startsWith("aggregate")))
                .check(main);
    }

    /**
     * The same on the sources: a transport naming a training internal fails even where the bytecode keeps no trace
     * (a constant such as {@code Loss.IGNORE} is copied into the class that reads it).
     */
    @Test
    void noTransportSourceNamesATrainingInternal() throws IOException {
        java.util.regex.Pattern named = java.util.regex.Pattern.compile(
                "org\\.memsfl\\.(train|split|fed)(\\.[a-z][a-z0-9]*)*\\.[A-Z][A-Za-z0-9]*");
        List<String> found = new java.util.ArrayList<>();
        for (Map.Entry<String, Path> e : sources.entrySet()) {
            if (!e.getKey().startsWith("org/memsfl/grpc/") && !e.getKey().startsWith("org/memsfl/sim/")) {
                continue;
            }
            java.util.regex.Matcher m = named.matcher(Files.readString(e.getValue()));
            while (m.find()) {
                if (trainingInternal(m.group())) {
                    found.add(e.getKey() + ": " + m.group());
                }
            }
        }
        assertThat(found).as("transport sources naming a training internal").isEmpty();
    }

    /** Where generated protos live. */
    static final String PROTO_PACKAGE = "org.memsfl.grpc.proto";

    /**
     * The gRPC border, the only classes that may read or write a generated proto: the service and the device's link
     * and step stream (the wire), and the codecs that turn messages into domain records and back.
     */
    static final Set<String> PROTO_BORDER = Set.of("org.memsfl.grpc.SplitFederationService",
            "org.memsfl.grpc.ServerLink", "org.memsfl.grpc.StepStream", "org.memsfl.grpc.RegistrationCodec",
            "org.memsfl.grpc.StepWire", "org.memsfl.grpc.AdapterWire", "org.memsfl.grpc.TensorCodec",
            "org.memsfl.grpc.TensorAssembler", "org.memsfl.grpc.TensorGroup");

    static boolean atTheBorder(JavaClass k) {
        return k.getPackageName().startsWith(PROTO_PACKAGE) || PROTO_BORDER.contains(k.getName().split("\\$")[0]);
    }

    /**
     * Protos become domain records at the border: nothing past it (the coordinator, step serving, the adapter
     * handout, the device's round, the CLI...) depends on a generated type of any message.
     */
    @Test
    void protosBecomeRecordsAtTheBorder() {
        assertThat(PROTO_BORDER).allMatch(main::contain); // a renamed border class must be renamed here too
        noClasses().that(DescribedPredicate.describe("are past the gRPC border", (JavaClass k) -> !atTheBorder(k)))
                .should().dependOnClassesThat().resideInAPackage(PROTO_PACKAGE + "..")
                .check(main);
    }

    /** The same on the sources: an import of a proto past the border fails even where no bytecode uses it. */
    @Test
    void noProtoImportPastTheBorder() throws IOException {
        List<String> found = new java.util.ArrayList<>();
        for (Map.Entry<String, Path> e : sources.entrySet()) {
            String cls = e.getKey().replaceAll("\\.java$", "").replace('/', '.');
            if (!PROTO_BORDER.contains(cls) && Files.readString(e.getValue()).contains(PROTO_PACKAGE + ".")) {
                found.add(e.getKey());
            }
        }
        assertThat(found).as("main sources past the gRPC border naming " + PROTO_PACKAGE).isEmpty();
    }

    /** A method is one class plus one registration: every {@code MethodSpec} the modules define is in the registry. */
    @Test
    void everyMethodSpecIsRegistered() {
        Set<Class<?>> registered = new java.util.HashSet<>();
        org.memsfl.sim.method.Methods.ALL.forEach(m -> registered.add(m.getClass()));
        classes().that().implement(org.memsfl.sim.method.MethodSpec.class).and().areNotInterfaces()
                .should(new ArchCondition<>("be registered in Methods.ALL") {
                    @Override
                    public void check(JavaClass c, ConditionEvents events) {
                        boolean in = registered.stream().anyMatch(k -> k.getName().equals(c.getName()));
                        events.add(new SimpleConditionEvent(c, in, c.getName() + (in ? " is" : " is not")
                                + " registered in Methods.ALL"));
                    }
                }).check(main);
    }

    /** No main source chooses by a method's name: {@code case "sfl-v1"} or {@code .equals("fedlora")}. */
    @Test
    void noStringSwitchOnMethodNames() throws IOException {
        List<String> ids = org.memsfl.sim.method.Methods.ids();
        assertThat(ids).contains("memsfl"); // the rule below is not vacuous
        String names = String.join("|", ids.stream().map(java.util.regex.Pattern::quote).toList());
        java.util.regex.Pattern choice = java.util.regex.Pattern.compile("case\\s+\"(" + names + ")\"|equals(IgnoreCase)?"
                + "\\(\"(" + names + ")\"\\)");
        List<String> found = new java.util.ArrayList<>();
        for (Map.Entry<String, Path> e : sources.entrySet()) {
            List<String> lines = Files.readAllLines(e.getValue());
            for (int i = 0; i < lines.size(); i++) {
                if (choice.matcher(lines.get(i)).find()) {
                    found.add(e.getKey() + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertThat(found).as("choices by method name outside the registry").isEmpty();
    }

    @Test
    void noMainClassOverMaxLines() {
        classes().that().areTopLevelClasses().and().resideOutsideOfPackage("org.memsfl.grpc.proto..")
                .should(haveAtMostLines(MAX_LINES)).check(main);
    }

    static ArchCondition<JavaClass> haveAtMostLines(int max) {
        return new ArchCondition<>("have a source file of at most " + max + " lines") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                String file = c.getSource().flatMap(s -> s.getFileName()).orElse(c.getSimpleName() + ".java");
                Path p = sources.get(c.getPackageName().replace('.', '/') + "/" + file);
                if (p == null) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + ": source " + file + " not found"));
                    return;
                }
                long lines;
                try (Stream<String> s = Files.lines(p)) {
                    lines = s.count();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                events.add(new SimpleConditionEvent(c, lines <= max, c.getName() + " has " + lines + " lines (" + p
                        .getFileName() + ")"));
            }
        };
    }
}
