using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Replication;

namespace SqlSync.Server;

/// <summary>The document lifecycle: reserving and opening a document off the request thread, idle and LRU closes.</summary>
internal sealed partial class CoordinatorHost
{
    /// <summary>Counts a user of <paramref name="documentId"/>, opening it (in the background) if it is not open.</summary>
    private HostedDocument Reserve(string documentId)
    {
        lock (_lifecycle)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                throw new SqlSyncException(SqlSyncErrorCode.DocumentClosed, "The server is stopping.");
            }

            long now = Stopwatch.GetTimestamp();
            if (_documents.TryGetValue(documentId, out HostedDocument? hosted))
            {
                if (hosted.DocumentId != documentId)
                {
                    throw CaseVariant(documentId, hosted.DocumentId);
                }

                hosted.Users++;
                hosted.LastUsed = now;
                return hosted;
            }

            bool existed = OnDisk().TryGetValue(documentId, out string? onDisk);
            if (existed && onDisk != documentId)
            {
                throw CaseVariant(documentId, onDisk!);
            }

            string directory = DirectoryOf(documentId);
            if (_documents.Count >= _options.MaxOpenDocuments && !CloseLeastRecentlyUsed())
            {
                Metrics.DocumentsRefused.Add(1);
                throw DocumentErrors.Create(ProtocolErrorCode.TooManyDocuments, documentId,
                    $"the server has its maximum of {_options.MaxOpenDocuments} documents open, all in use; try again later");
            }

            hosted = new HostedDocument(documentId, existed, now) { Users = 1 };
            Task previous = _closing.TryGetValue(documentId, out Task? close) ? close : Task.CompletedTask;
            hosted.Opening = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false); // the same id closing: its files must be let go first
                Open(hosted, directory);
            });
            _documents.Add(documentId, hosted);
            return hosted;
        }
    }

    private void Unreserve(HostedDocument hosted)
    {
        lock (_lifecycle)
        {
            hosted.Users--;
            hosted.LastUsed = Stopwatch.GetTimestamp();
            if (hosted.Users == 0 && hosted.Opening.IsFaulted
                && _documents.TryGetValue(hosted.DocumentId, out HostedDocument? current) && current == hosted)
            {
                _documents.Remove(hosted.DocumentId); // a failed open leaves nothing held; the next open tries again
            }
        }
    }

    /// <summary>The document's directory, checked to be inside the data directory (ids are validated too).</summary>
    private string DirectoryOf(string documentId)
    {
        string directory = Path.GetFullPath(Path.Combine(_dataRoot, documentId));
        if (!directory.StartsWith(_dataRoot, StringComparison.Ordinal) || directory.Length == _dataRoot.Length)
        {
            throw DocumentErrors.Create(ProtocolErrorCode.UnknownDocument, documentId, "the id does not name a directory inside the data directory");
        }

        return directory;
    }

    /// <summary>The documents on disk, listed once (under the host's lock) and kept up to date by opens.</summary>
    private Dictionary<string, string> OnDisk()
    {
        if (_onDisk is null)
        {
            _onDisk = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (Directory.Exists(_dataRoot))
            {
                foreach (string path in Directory.EnumerateDirectories(_dataRoot))
                {
                    string name = Path.GetFileName(path);
                    _onDisk.TryAdd(name, name);
                }
            }
        }

        return _onDisk;
    }

    private void Open(HostedDocument hosted, string directory)
    {
        string documentId = hosted.DocumentId;
        var document = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = documentId,
            Reducer = _options.ReducerFor!(documentId),
            Directory = directory,
            JournalStore = _options.JournalStores?.For(documentId), // the directory then holds only caches
            FsyncOnAppend = _options.FsyncOnAppend,
            Limits = _options.Limits,
            Warning = message => _logger.LogWarning("{Warning}", message),
            StorageRetryMinDelay = _options.StorageRetryMinDelay,
            StorageRetryMaxDelay = _options.StorageRetryMaxDelay,
            StorageRetention = _options.StorageRetention,
            CheckpointJournalRatio = _options.CheckpointJournalRatio,
            CheckpointMinJournalBytes = _options.CheckpointMinJournalBytes,
            PageCacheBytes = _options.PageCacheBytes,
            PageDeltaBytes = _options.PageDeltaBytes,
        });
        DocumentStepper stepper;
        try
        {
            stepper = new DocumentStepper(document, hosted.Gate, _options.StepBatchSize, Metrics, _logger);
        }
        catch
        {
            document.Dispose();
            throw;
        }

        stepper.StorageChanged += id => StorageChanged?.Invoke(id);
        document.Fenced += _ => Evict(hosted, "another coordinator took it over (its journal in the store is fenced)");
        hosted.Document = document;
        hosted.Stepper = stepper;
        lock (_lifecycle)
        {
            OnDisk()[documentId] = documentId;
        }

        Metrics.OpenDocuments.Add(1);
        Metrics.DocumentsOpened.Add(1);
        _logger.LogDebug("Document {DocumentId} opened: storage {StorageRange}, {Queued} mutation(s) queued.",
            documentId, document.StorageRange, document.QueuedMutationCount);
    }

    /// <summary>
    /// Closes <paramref name="documentId"/> as soon as nobody uses it and its queued mutations are applied, without
    /// waiting for the idle timeout: a cluster's grain let go of it, and the document's next writer may be another
    /// node's host, which cannot open it while this one holds it (decision 0038). Returns when it is closed, or at once
    /// when it is not open here or in use.
    /// </summary>
    public async Task CloseUnusedAsync(string documentId, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lifecycle)
            {
                if (!_documents.TryGetValue(documentId, out HostedDocument? hosted) || hosted.DocumentId != documentId
                    || hosted.Users > 0 || !hosted.Opening.IsCompletedSuccessfully)
                {
                    return;
                }

                if (TryTakeForClose(hosted))
                {
                    StartClose(hosted, "its grain let go of it");

                    // A close that ended already was untracked inline (its continuation runs synchronously, and this
                    // thread holds the lock it takes): then there is nothing to wait for.
                    wait = _closing.TryGetValue(documentId, out Task? closing) ? closing : Task.CompletedTask;
                }
                else
                {
                    // A step runs or mutations are queued: once applied, close (a step holding the gate: look again shortly).
                    hosted.Stepper!.Signal();
                    wait = hosted.Stepper.Drained.IsCompleted ? Task.Delay(10, cancellationToken) : hosted.Stepper.Drained;
                }
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The sweeper: closes documents nobody used for the idle timeout.</summary>
    private void CloseIdle()
    {
        lock (_lifecycle)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            bool closedNow = false;
            foreach (HostedDocument hosted in _documents.Values.ToList())
            {
                if (hosted.Users == 0 && hosted.Opening.IsCompletedSuccessfully
                    && Stopwatch.GetElapsedTime(hosted.LastUsed) >= _options.DocumentIdleTimeout && TryTakeForClose(hosted))
                {
                    StartClose(hosted, "idle");
                    closedNow = true;
                }
            }

            MaybeReleaseMemory(closedNow);
        }
    }

    /// <summary>Makes room for one more document: closes the least recently used one nobody uses. Call under the lock.</summary>
    private bool CloseLeastRecentlyUsed()
    {
        foreach (HostedDocument hosted in _documents.Values.Where(d => d.Users == 0 && d.Opening.IsCompletedSuccessfully).OrderBy(d => d.LastUsed).ToList())
        {
            if (TryTakeForClose(hosted))
            {
                StartClose(hosted, "least recently used, to make room");
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Takes the gate of a document nobody uses, for good, unless a step runs or mutations are queued (a faulted
    /// document closes anyway: reopening is its retry). Call under the lock.
    /// </summary>
    private static bool TryTakeForClose(HostedDocument hosted)
    {
        if (!hosted.Gate.Wait(0))
        {
            return false;
        }

        if (hosted.Stepper!.Fault is null && hosted.Document!.QueuedMutationCount > 0)
        {
            hosted.Gate.Release();
            return false;
        }

        return true;
    }

    /// <summary>Removes a document taken for close and closes it in the background. Call under the lock.</summary>
    private void StartClose(HostedDocument hosted, string why)
    {
        _documents.Remove(hosted.DocumentId);
        TrackClose(hosted.DocumentId, Task.Run(() => CloseAsync(hosted, why)));
    }

    /// <summary>Records a close in progress: an open of the same id waits for it. Call under the lock.</summary>
    private void TrackClose(string documentId, Task close)
    {
        _closing[documentId] = close;
        _ = close.ContinueWith(_ =>
        {
            lock (_lifecycle)
            {
                if (_closing.TryGetValue(documentId, out Task? current) && current == close)
                {
                    _closing.Remove(documentId);
                }
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task CloseAsync(HostedDocument hosted, string why)
    {
        try
        {
            await hosted.Stepper!.DisposeAsync().ConfigureAwait(false);
            hosted.Document!.Dispose();
            Server.DocumentClosed(hosted.Document);
            Metrics.OpenDocuments.Add(-1);
            Metrics.DocumentsClosed.Add(1);
            CountClosed();
            _logger.LogDebug("Document {DocumentId} closed ({Why}).", hosted.DocumentId, why);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Document {DocumentId} failed to close ({Why}).", hosted.DocumentId, why);
        }
    }

    private SqlSyncException OpenFailed(string documentId, Exception ex)
    {
        if (ex is SqlSyncException { Code: SqlSyncErrorCode.Protocol } protocol)
        {
            return protocol;
        }

        _logger.LogError(ex, "Document {DocumentId} could not be opened; its clients are told, other documents are served.", documentId);
        return DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId, $"the server could not open it ({DocumentErrors.Cause(ex)}); other documents are served");
    }

    private static SqlSyncException CaseVariant(string documentId, string existing) =>
        DocumentErrors.Create(ProtocolErrorCode.DocumentFailed, documentId, $"the id differs only in case from the existing document '{existing}'");
}
