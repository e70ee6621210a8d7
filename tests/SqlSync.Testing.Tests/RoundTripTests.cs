using static SqlSync.Testing.Tests.Samples.SampleMutations;

namespace SqlSync.Testing.Tests;

/// <summary>The round-trip check: one line for every record of a mutations class.</summary>
[Trait("Category", "Testing")]
public sealed class RoundTripTests
{
    private static readonly IMutation[] AllSamples =
    [
        new CreateSchemaMutation(),
        new AddNoteMutation("é\n\"x\""),
        new PutRealMutation("s", 1, 0.1),
        new PutIntegerMutation("s", 2, long.MaxValue),
        new PutTextMutation("s", 3, null),
        new PutBlobMutation("s", 4, [1, 2, 3]),
        new FailMutation("no"),
    ];

    [Fact]
    public void Every_record_type_with_a_sample_passes() => MutationRoundTrip.CheckAll(Reducer.Instance, AllSamples);

    [Fact]
    public void A_record_type_without_a_sample_is_named()
    {
        var failure = Assert.Throws<MutationRoundTripException>(() =>
            MutationRoundTrip.CheckAll(Reducer.Instance, AllSamples.Where(s => s is not PutBlobMutation and not FailMutation).ToArray()));

        Assert.Contains("No sample for FailMutation, PutBlobMutation", failure.Message, StringComparison.Ordinal);
        Assert.Contains("7 record types of SqlSync.Testing.Tests.Samples.SampleMutations", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_that_is_not_generated_fails_with_a_reason()
    {
        var failure = Assert.Throws<MutationRoundTripException>(() => MutationRoundTrip.Check(new HandWritten()));

        Assert.Contains("HandWritten does not survive its binary round trip", failure.Message, StringComparison.Ordinal);
        Assert.Contains("static Decode", failure.Message, StringComparison.Ordinal);
    }

    private sealed record HandWritten : IMutation
    {
        public uint Tag => 7;

        public void WriteTo(MutationWriter writer) => writer.WriteTag(Tag);
    }
}
