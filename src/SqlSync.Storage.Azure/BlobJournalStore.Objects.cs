using System.Globalization;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SqlSync.Journals;

namespace SqlSync.Storage.Azure;

/// <summary>
/// Checkpoints and notes as blobs (decision 0037): <c>{root}checkpoints/{LSN, 20 digits}.ckpt</c>, created only if
/// the name is free, and <c>{root}notes/{name}</c>, replaced whole by one Put Blob.
/// </summary>
internal sealed partial class BlobJournalStore
{
    private const string CheckpointPrefix = "checkpoints/";
    private const string CheckpointExtension = ".ckpt";
    private const string NotePrefix = "notes/";

    /// <summary>Up to this size a checkpoint is one Put Blob request; larger ones are staged in blocks of it.</summary>
    private const int CheckpointSingleRequestBytes = 256 * 1024 * 1024;

    /// <inheritdoc />
    public bool KeepsCheckpoints => true;

    /// <inheritdoc />
    public IReadOnlyList<Lsn> Checkpoints()
    {
        string prefix = _root + CheckpointPrefix;
        return BlobRequests.Run("list the checkpoints", () =>
        {
            var found = new List<Lsn>();
            foreach (BlobItem item in _container.GetBlobs(new GetBlobsOptions { Prefix = prefix }))
            {
                string name = item.Name[prefix.Length..];
                if (name.Length == 20 + CheckpointExtension.Length && name.EndsWith(CheckpointExtension, StringComparison.Ordinal)
                    && ulong.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out ulong lsn))
                {
                    found.Add(new Lsn(lsn));
                }
            }

            found.Sort((a, b) => b.CompareTo(a));
            return found;
        });
    }

    /// <inheritdoc />
    public void PutCheckpoint(Lsn lsn, string path)
    {
        BlobClient client = _container.GetBlobClient(CheckpointName(lsn));
        var options = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            TransferOptions = new StorageTransferOptions { InitialTransferSize = CheckpointSingleRequestBytes, MaximumTransferSize = CheckpointSingleRequestBytes },
        };
        BlobRequests.Run($"write the checkpoint at LSN {lsn}", () =>
        {
            try
            {
                client.Upload(path, options);
            }
            catch (RequestFailedException e) when (BlobRequests.IsAlreadyExists(e))
            {
                // The same LSN is the same pages: another writer's checkpoint of this history, or this one's retry.
            }

            return true;
        });
    }

    /// <inheritdoc />
    public bool GetCheckpoint(Lsn lsn, string path)
    {
        BlobClient client = _container.GetBlobClient(CheckpointName(lsn));
        return BlobRequests.Run($"read the checkpoint at LSN {lsn}", () =>
        {
            try
            {
                client.DownloadTo(path);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                File.Delete(path);
                return false;
            }
        });
    }

    /// <inheritdoc />
    public void DeleteCheckpoint(Lsn lsn) =>
        BlobRequests.Run($"delete the checkpoint at LSN {lsn}", () => _container.GetBlobClient(CheckpointName(lsn)).DeleteIfExists().Value);

    /// <inheritdoc />
    public byte[]? ReadNote(string name)
    {
        BlobClient client = _container.GetBlobClient(_root + NotePrefix + Normalize(name));
        return BlobRequests.Run($"read the note '{Normalize(name)}'", () =>
        {
            try
            {
                return client.DownloadContent().Value.Content.ToArray();
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
        });
    }

    /// <inheritdoc />
    public void WriteNote(string name, ReadOnlySpan<byte> bytes)
    {
        BlobClient client = _container.GetBlobClient(_root + NotePrefix + Normalize(name));
        var data = new BinaryData(bytes.ToArray());
        BlobRequests.Run($"write the note '{Normalize(name)}'", () => client.Upload(data, overwrite: true).Value);
    }

    private string CheckpointName(Lsn lsn) => _root + CheckpointPrefix + lsn.Value.ToString("D20", CultureInfo.InvariantCulture) + CheckpointExtension;
}
