package org.memsfl.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Map;
import org.memsfl.util.BadInputException;

/**
 * jinjava set up like transformers' chat-template environment (jinja2 {@code ImmutableSandboxedEnvironment} with
 * {@code trim_blocks=True, lstrip_blocks=True} and the {@code loopcontrols} extension, globals {@code raise_exception}
 * and {@code strftime_now}). One engine per clock; thread-safe for rendering.
 */
final class JinjaEngine {

    /** Thrown by {@code raise_exception(msg)} inside a template. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    private static final ThreadLocal<Clock> CLOCK = ThreadLocal.withInitial(Clock::systemDefaultZone);

    private final Jinjava jinjava;
    private final Clock clock;

    JinjaEngine(Clock clock) {
        this.clock = clock;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                // jinja2 semantics where jinjava's defaults differ: {{- / -}} and {#- strip whitespace, Python's
                // operator precedence, dicts iterate over keys, values print as Python prints them
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        // jinja2's loopcontrols ({% break %}, {% continue %}) are built into jinjava's tag library
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaEngine.class,
                "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaEngine.class,
                "strftimeNow", String.class));
    }

    /** Renders {@code template} with {@code context}; an error the template raises, or a syntax error, is bad input. */
    String render(String name, String template, Map<String, Object> context) {
        // transformers defines strftime_now as a global, so `strftime_now is defined` holds (Llama 3.x tests it);
        // jinjava resolves the call to the function registered below and the test to this variable
        context = new java.util.LinkedHashMap<>(context);
        context.putIfAbsent("strftime_now", Boolean.TRUE);
        Clock before = CLOCK.get();
        CLOCK.set(clock);
        try {
            RenderResult r = jinjava.renderForResult(template, context);
            for (TemplateError e : r.getErrors()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                    throw new BadInputException("chat template " + name + ": " + describe(e));
                }
            }
            return r.getOutput();
        } catch (TemplateRaised e) {
            throw new BadInputException("chat template " + name + " refused the conversation: " + e.getMessage());
        } finally {
            CLOCK.set(before);
        }
    }

    private static String describe(TemplateError e) {
        Throwable t = e.getException();
        while (t != null) {
            if (t instanceof TemplateRaised) {
                return "refused the conversation: " + t.getMessage();
            }
            t = t.getCause();
        }
        String msg = e.getMessage();
        if (msg != null && msg.contains("raise_exception")) {
            return "refused the conversation: " + msg;
        }
        return msg + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : "");
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /**
     * {@code strftime_now(format)}: the current local time in a Python {@code strftime} format. The directives chat
     * templates use are supported: %d %m %Y %y %b %B %a %A %H %M %S %j %%.
     */
    public static String strftimeNow(String format) {
        ZonedDateTime t = ZonedDateTime.now(CLOCK.get());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            out.append(switch (d) {
                case 'd' -> String.format("%02d", t.getDayOfMonth());
                case 'm' -> String.format("%02d", t.getMonthValue());
                case 'Y' -> Integer.toString(t.getYear());
                case 'y' -> String.format("%02d", t.getYear() % 100);
                case 'b' -> t.getMonth().getDisplayName(java.time.format.TextStyle.SHORT, java.util.Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH);
                case 'a' -> t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.SHORT, java.util.Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH);
                case 'H' -> String.format("%02d", t.getHour());
                case 'M' -> String.format("%02d", t.getMinute());
                case 'S' -> String.format("%02d", t.getSecond());
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case '%' -> "%";
                default -> "%" + d;
            });
        }
        return out.toString();
    }
}
