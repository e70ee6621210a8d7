using Azure.Storage.Blobs;
using SqlSync.Storage.Azure;

namespace SqlSync.Server; // beside the options it extends: no extra using in the server's Program.cs

/// <summary>Puts a SqlSync server's journals on Azure Blob Storage (decision 0037).</summary>
public static class AzureBlobJournalsExtensions
{
    /// <summary>
    /// Keeps every document's journals, checkpoints and small notes (timeline owners, the in-flight note) as blobs in
    /// <paramref name="container"/> (created when missing), under <c>{document id}/</c>: the server's
    /// <see cref="SqlSyncServerOptions.DataDirectory"/> then holds only caches, and another server started on an empty
    /// disk with the same container serves the same documents. An upload is acknowledged once its blob is created; of
    /// two servers serving one document, the one that extends its history second is fenced and closes the document.
    /// The credential needs read, write, list and delete on the container.
    /// </summary>
    /// <param name="options">The server's options (in <c>AddSqlSync(o => …)</c>).</param>
    /// <param name="connectionString">An Azure Storage connection string (account key or SAS).</param>
    /// <param name="container">The container's name (3-63 lowercase letters, digits and dashes).</param>
    /// <returns><paramref name="options"/>.</returns>
    public static SqlSyncServerOptions UseAzureBlobJournals(this SqlSyncServerOptions options, string connectionString, string container)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(connectionString) || string.IsNullOrWhiteSpace(container))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "UseAzureBlobJournals needs a connection string and a container name.");
        }

        BlobContainerClient client;
        try
        {
            client = new BlobContainerClient(connectionString, container, BlobRequests.ClientOptions());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // the message of a malformed connection string never repeats it (it holds the key)
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"UseAzureBlobJournals: the connection string or the container name '{container}' is not valid ({e.GetType().Name}).");
        }

        return options.UseBlobJournals(client);
    }

    /// <summary>The same with a container client made by the caller (tests and benchmarks add pipeline policies).</summary>
    internal static SqlSyncServerOptions UseBlobJournals(this SqlSyncServerOptions options, BlobContainerClient container)
    {
        options.JournalStores = new BlobJournalStores(container);
        return options;
    }
}
