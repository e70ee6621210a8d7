using System.Collections.Concurrent;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Server.Tests;

/// <summary>
/// Handlers on every event of a document and its client that call back into both, and record what would
/// show events raised under a lock, out of order or more than one at a time.
/// </summary>
internal sealed class EventProbe
{
    /// <summary>How many mutations Changed handlers make on rebases (each leads to more rebases, up to this).</summary>
    public const int MaxHandlerMutations = 100;
    private readonly LocalDocument _document;
    private readonly SqlSyncClient _client;
    private readonly ConcurrentQueue<SyncConnectionStatus> _statuses = new();
    private int _inChanged;
    private ulong _lastStorageNext;
    private int _changes;
    private int _rejections;
    private int _handlerMutations;

    public EventProbe(LocalDocument document, SqlSyncClient client)
    {
        _document = document;
        _client = client;
        document.Changed += OnChanged;
        document.MutationRejected += OnRejected;
        client.StatusChanged += OnStatusChanged;
    }

    public ConcurrentQueue<string> Violations { get; } = new();

    public int Changes => Volatile.Read(ref _changes);

    public int Rejections => Volatile.Read(ref _rejections);

    public long HandlerMutations => Math.Min(Volatile.Read(ref _handlerMutations), MaxHandlerMutations);

    public SyncConnectionStatus[] Statuses => _statuses.ToArray();

    private void OnChanged(object? sender, DocumentChangedEventArgs e)
    {
        if (Interlocked.Increment(ref _inChanged) != 1)
        {
            Violations.Enqueue("two Changed handlers ran at once");
        }

        try
        {
            if (e.StorageRange.Next.Value < _lastStorageNext)
            {
                Violations.Enqueue($"Changed went back from storage {_lastStorageNext} to {e.StorageRange.Next}");
            }

            _lastStorageNext = e.StorageRange.Next.Value;
            Interlocked.Increment(ref _changes);
            CallBack();
            if (e.Kind == DocumentChange.Rebased && Interlocked.Increment(ref _handlerMutations) <= MaxHandlerMutations)
            {
                _document.Count("handler");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inChanged);
        }
    }

    private void OnRejected(object? sender, RejectedMutation rejection)
    {
        Interlocked.Increment(ref _rejections);
        CallBack();
        _document.GetRejections();
        _document.Count("after-rejection");
    }

    private void OnStatusChanged(object? sender, SyncConnectionStatus status)
    {
        _statuses.Enqueue(status);
        CallBack();
    }

    private void CallBack()
    {
        _client.IsUploaded(_document);
        _ = _client.Status;
        _ = _document.PendingMutationCount;
        _document.QueryScalar<long>("SELECT count(*) FROM tally");
    }
}
