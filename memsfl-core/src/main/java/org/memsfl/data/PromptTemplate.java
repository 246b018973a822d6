package org.memsfl.data;

/** The prompt/response wording of each known dataset, fixed so that runs and papers compare like with like. */
public final class PromptTemplate {

    private PromptTemplate() {
    }

    /** Dolly/Alpaca style; the context section is left out when the record has no (non-blank) context. */
    public static Example dolly(String instruction, String context, String response, String category) {
        StringBuilder prompt = new StringBuilder("### Instruction:\n").append(instruction).append("\n\n");
        if (!context.isBlank()) {
            prompt.append("### Context:\n").append(context).append("\n\n");
        }
        prompt.append("### Response:\n");
        String user = context.isBlank() ? instruction : instruction + "\n\n" + context;
        return new Example(prompt.toString(), response, category, user);
    }

    /** E2E NLG: meaning representation in, restaurant description out. */
    public static Example e2e(String mr, String ref, String clientKey) {
        return new Example("Meaning representation: " + mr + "\nDescription: ", ref, clientKey);
    }

    /** GSM8K: the answer keeps its worked steps and the final "#### n" line. */
    public static Example gsm8k(String question, String answer) {
        return new Example("Question: " + question + "\nAnswer: ", answer, "", question);
    }
}
