package org.memsfl.hub;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Reports a file download's bytes as they arrive. */
@FunctionalInterface
public interface DownloadProgress {

    /** One file's progress; closed when the file is done or failed. */
    interface Bar extends AutoCloseable {
        /** @param bytes bytes of the file on disk so far, resumed ones included */
        void update(long bytes);

        @Override
        void close();
    }

    /**
     * Starts reporting {@code file}.
     *
     * @param total   its size in bytes, or -1 when unknown
     * @param already bytes kept from an earlier attempt
     */
    Bar start(String file, long total, long already);

    /** Reports nothing. */
    DownloadProgress NONE = (f, t, a) -> new Bar() {
        @Override
        public void update(long bytes) {
        }

        @Override
        public void close() {
        }
    };

    /** A progress bar on stderr in MiB with the transfer rate (me.tongfei progressbar). */
    static DownloadProgress console() {
        return (file, total, already) -> {
            ProgressBar bar = new ProgressBarBuilder().setTaskName(file).setInitialMax(total < 0 ? -1 : total)
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" MiB", 1L << 20).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500)
                    .startsFrom(already, java.time.Duration.ZERO).build();
            return new Bar() {
                @Override
                public void update(long bytes) {
                    bar.stepTo(bytes);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }
}
