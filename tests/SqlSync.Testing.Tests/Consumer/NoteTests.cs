using SqlSync.Testing;
using Xunit;
using static Consumer.NoteMutations;

namespace Consumer;

public sealed class NoteTests
{
    [Fact]
    public void Notes() => MutationScenario.For(Reducer.Instance)
        .Given(new CreateSchemaMutation())
        .When(new AddNoteMutation("first", 1.25), new AddNoteMutation("", 0), new AddNoteMutation("zweite", 2.5))
        .Verify("NoteTests.Notes");

    [Fact]
    public void Records_round_trip() => MutationRoundTrip.CheckAll(Reducer.Instance, new CreateSchemaMutation(), new AddNoteMutation("x", 0.1));

    [Fact]
    public void Generated_source_is_read_from_the_package_users_pdb() =>
        Assert.Contains("public sealed partial record AddNoteMutation", GeneratedSource.For(typeof(NoteMutations)), StringComparison.Ordinal);
}
