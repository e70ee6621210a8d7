using System.Text.Json;
using SqlSync.Generated.Tests.Mutations;

namespace SqlSync.Generated.Tests;

/// <summary>The readable JSON form, directly and through System.Text.Json.</summary>
[Trait("Category", "Generated")]
public sealed class JsonFormTests
{
    private static readonly Guid Id = new("0f8fad5b-d9cb-469f-a165-70867728950e");

    [Fact]
    public void TheJsonFormIsReadable()
    {
        var record = new TodoMutations.RenameTodosMutation([Id], null, ["a", "b"]);
        Assert.Equal("""{"ids":["0f8fad5b-d9cb-469f-a165-70867728950e"],"prefix":null,"tags":["a","b"]}""", record.ToJson());
        Assert.Equal("RenameTodosMutation " + record.ToJson(), record.ToString());
    }

    [Fact]
    public void SpecialNumbersAreStrings()
    {
        var record = new ValueMutations.RealsMutation(float.NaN, double.NegativeInfinity, 1.50m);
        Assert.Equal("""{"f32":"NaN","f64":"-Infinity","money":1.50}""", record.ToJson());
        Assert.Equal(record, ValueMutations.RealsMutation.FromJson(record.ToJson()));
    }

    [Fact]
    public void SystemTextJsonUsesTheGeneratedConverter()
    {
        var record = new TodoMutations.AddTodoMutation(Id, "milk");
        string json = JsonSerializer.Serialize(record);
        Assert.Equal(record.ToJson(), json);
        Assert.Equal(record, JsonSerializer.Deserialize<TodoMutations.AddTodoMutation>(json));
    }

    [Fact]
    public void AMissingPropertyIsAnErrorAndAnUnknownOneIsSkipped()
    {
        var missing = Assert.Throws<JsonException>(() => TodoMutations.AddTodoMutation.FromJson("""{"id":"0f8fad5b-d9cb-469f-a165-70867728950e"}"""));
        Assert.Contains("\"title\"", missing.Message, StringComparison.Ordinal);

        var record = TodoMutations.AddTodoMutation.FromJson("""{"extra":{"a":[1,2]},"title":"t","id":"0f8fad5b-d9cb-469f-a165-70867728950e"}""");
        Assert.Equal(new TodoMutations.AddTodoMutation(Id, "t"), record);
    }
}
