using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>An <see cref="ICoordinatorProvider"/> over in-memory coordinators that steps at once.</summary>
internal sealed class TestCoordinators : ICoordinatorProvider, IDisposable
{
    private readonly Dictionary<string, CoordinatorDocument> _documents = new();
    private readonly SqlSync.Mutations.IMutationReducer _reducer;

    /// <summary>Coordinators of <paramref name="reducer"/>'s mutations (the test mutations by default).</summary>
    public TestCoordinators(SqlSync.Mutations.IMutationReducer? reducer = null)
    {
        _reducer = reducer ?? Support.TestMutations.Reducer;
    }

    public bool StepImmediately { get; set; } = true;

    /// <summary>How a document opens (default: in memory with the reducer).</summary>
    public Func<string, CoordinatorDocumentOptions>? OptionsFor { get; init; }

    public CoordinatorDocument GetDocument(string documentId)
    {
        if (!_documents.TryGetValue(documentId, out CoordinatorDocument? document))
        {
            document = CoordinatorDocument.Open(OptionsFor?.Invoke(documentId) ?? new CoordinatorDocumentOptions { DocumentId = documentId, Reducer = _reducer });
            _documents.Add(documentId, document);
        }

        return document;
    }

    public bool Exists(string documentId) => _documents.ContainsKey(documentId);

    public void OnTimelineReceived(string documentId)
    {
        if (StepImmediately)
        {
            _documents[documentId].StepAll();
        }
    }

    public void Dispose()
    {
        foreach (CoordinatorDocument document in _documents.Values)
        {
            document.Dispose();
        }
    }
}
