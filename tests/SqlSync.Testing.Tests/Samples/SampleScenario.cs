using static SqlSync.Testing.Tests.Samples.SampleMutations;

namespace SqlSync.Testing.Tests.Samples;

/// <summary>The scenario the kit's own tests render: every kind of value and schema object, and one rejection.</summary>
internal static class SampleScenario
{
    public static MutationScenario Create(IMutationReducer? reducer = null) => MutationScenario
        .For(reducer ?? Reducer.Instance)
        .Given(new CreateSchemaMutation())
        .When(
            new AddNoteMutation("İstanbul ılık"),
            new AddNoteMutation("it's \"quoted\"\nand\ttabbed"),
            new PutRealMutation("reals", 1, 1.5),
            new PutRealMutation("reals", 2, 0.1 + 0.2),
            new PutRealMutation("reals", 3, 1e20),
            new PutRealMutation("reals", 4, -0.0),
            new PutRealMutation("reals", 5, 3.0),
            new PutRealMutation("reals", 6, double.Epsilon),
            new PutIntegerMutation("integers", 1, long.MinValue),
            new PutIntegerMutation("integers", 2, 1234567),
            new PutTextMutation("texts", 1, null),
            new PutTextMutation("texts", 2, ""),
            new PutTextMutation("texts", 3, "1,5"),
            new PutBlobMutation("blobs", 1, [0x00, 0xAB, 0xFF]),
            new PutBlobMutation("blobs", 2, []),
            new FailMutation("out of paper"));
}
