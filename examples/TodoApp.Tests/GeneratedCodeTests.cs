namespace TodoApp.Tests;

/// <summary>Pins the code the generator wrote for <see cref="TodoMutations"/>: a change in the mutations or the generator is a diff.</summary>
[Trait("Category", "Testing")]
public sealed class GeneratedCodeTests
{
    [Fact]
    public void TodoMutations_generated_code() => GeneratedSource.Verify(typeof(TodoMutations));
}
