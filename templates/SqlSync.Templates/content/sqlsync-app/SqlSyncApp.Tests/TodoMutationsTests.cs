using SqlSync.Documents;
using SqlSync.Testing;
using SqlSyncApp.Mutations;
using static SqlSyncApp.Mutations.TodoMutations;

namespace SqlSyncApp.Tests;

public class TodoMutationsTests
{
    private static readonly Guid Milk = new("6f9619ff-8b86-d011-b42d-00cf4fc964ff");

    [Fact] // every record encodes, decodes and compares equal, and has a JSON form; names a record without a sample
    public void Records_round_trip() => MutationRoundTrip.CheckAll(Reducer.Instance,
        new CreateSchemaMutation(), new AddTodoMutation(Milk, "buy milk"), new SetDoneMutation(Milk, true));

    [Fact] // the reducer on a local document, as a client applies it
    public void A_todo_is_added_then_done()
    {
        using var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "todos", Reducer = Reducer.Instance });
        document.CreateSchema();
        document.AddTodo(Milk, "buy milk");
        document.SetDone(Milk, true);

        object?[] row = Assert.Single(document.Query("SELECT title, done FROM todos"));
        Assert.Equal("buy milk", row[0]);
        Assert.Equal(1L, row[1]);
    }
}
