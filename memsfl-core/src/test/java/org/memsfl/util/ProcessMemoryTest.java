package org.memsfl.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    /** Abridged /proc/self/status of a JVM on Linux 5.x. */
    static final String SAMPLE = String.join("\n",
            "Name:\tjava",
            "Umask:\t0022",
            "State:\tS (sleeping)",
            "Tgid:\t4242",
            "Pid:\t4242",
            "VmPeak:\t 9876543 kB",
            "VmSize:\t 9000000 kB",
            "VmLck:\t       0 kB",
            "VmHWM:\t  812345 kB",
            "VmRSS:\t  654321 kB",
            "RssAnon:\t  600000 kB",
            "RssFile:\t   54321 kB",
            "RssShmem:\t       0 kB",
            "VmSwap:\t       0 kB",
            "Threads:\t37",
            "Cpus_allowed_list:\t0-1",
            "voluntary_ctxt_switches:\t12",
            "");

    @Test
    void readsRssAndHwmInBytes() {
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "VmRSS")).isEqualTo(654321L * 1024);
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "VmHWM")).isEqualTo(812345L * 1024);
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "VmLck")).isZero();
    }

    @Test
    void fieldNameMustMatchWholeKey() {
        // "Rss" is a prefix of RssAnon etc. but no field of its own; "VmRSS" must not match "VmRSSx"
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "Rss")).isEqualTo(-1);
        assertThat(ProcessMemory.fieldBytes("VmRSSx:\t 5 kB\n", "VmRSS")).isEqualTo(-1);
    }

    @Test
    void absentMalformedOrUnitlessFieldsGiveMinusOne() {
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "VmFoo")).isEqualTo(-1);
        assertThat(ProcessMemory.fieldBytes(SAMPLE, "Threads")).isEqualTo(-1);
        assertThat(ProcessMemory.fieldBytes("VmRSS:\t abc kB\n", "VmRSS")).isEqualTo(-1);
        assertThat(ProcessMemory.fieldBytes("", "VmRSS")).isEqualTo(-1);
    }

    @Test
    void lastLineWithoutNewlineIsRead() {
        assertThat(ProcessMemory.fieldBytes("Name:\tjava\nVmRSS:\t 10 kB", "VmRSS")).isEqualTo(10240);
    }

    @Test
    void parseKbKeepsOnlyKbLinesInOrder() {
        Map<String, Long> m = ProcessMemory.parseKb(SAMPLE);
        assertThat(m).containsKeys("VmPeak", "VmHWM", "VmRSS", "RssAnon", "VmSwap")
                .doesNotContainKeys("Name", "State", "Threads", "Cpus_allowed_list");
        assertThat(m.get("VmRSS")).isEqualTo(654321L * 1024);
        assertThat(m.keySet()).first().isEqualTo("VmPeak");
    }

    @Test
    void readsThisProcessOnLinux() {
        long rss = ProcessMemory.rssBytes();
        if (System.getProperty("os.name").toLowerCase().contains("linux")) {
            assertThat(rss).isPositive();
            assertThat(ProcessMemory.peakRssBytes()).isGreaterThanOrEqualTo(rss / 2);
        } else {
            assertThat(rss).isEqualTo(-1);
        }
    }
}
