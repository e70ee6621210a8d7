using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

namespace SqlSync.Testing;

/// <summary>Reads the source files SqlSync's generator added to an assembly from its portable PDB's embedded sources.</summary>
internal static class GeneratedFileReader
{
    /// <summary>Generated documents live under <c>{output}/{generator assembly}/{generator type}/{hint name}</c>.</summary>
    public const string GeneratorFolder = "SqlSync.Generators/SqlSync.Generators.MutationGenerator/";

    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    public static IReadOnlyList<GeneratedFile> Read(Assembly assembly)
    {
        string location = assembly.Location;
        if (string.IsNullOrEmpty(location) || !File.Exists(location))
        {
            throw new InvalidOperationException(
                $"Assembly {assembly.GetName().Name} was not loaded from a file, so its debug information cannot be read.");
        }

        return Read(location);
    }

    public static IReadOnlyList<GeneratedFile> Read(string assemblyPath)
    {
        using FileStream stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        if (!pe.TryOpenAssociatedPortablePdb(assemblyPath, OpenIfExists, out MetadataReaderProvider? provider, out _) || provider is null)
        {
            throw new InvalidOperationException(
                $"No portable PDB for {assemblyPath}: SqlSync.Testing reads the generated source the compiler embeds there. " +
                "Keep <DebugType> portable or embedded (the SDK's default) in the project that declares the mutations.");
        }

        using (provider)
        {
            MetadataReader reader = provider.GetMetadataReader();
            var files = new List<GeneratedFile>();
            foreach (DocumentHandle handle in reader.Documents)
            {
                string path = reader.GetString(reader.GetDocument(handle).Name).Replace('\\', '/');
                int at = path.LastIndexOf(GeneratorFolder, StringComparison.Ordinal);
                if (at < 0)
                {
                    continue;
                }

                string? text = EmbeddedText(reader, handle);
                if (text is not null)
                {
                    files.Add(new GeneratedFile(path[(at + GeneratorFolder.Length)..], text));
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.HintName, b.HintName));
            return files;
        }
    }

    private static Stream? OpenIfExists(string path) => File.Exists(path) ? File.OpenRead(path) : null;

    /// <summary>The embedded source blob: an int32 (0 = stored, else the inflated size) then the bytes, deflated if compressed.</summary>
    private static string? EmbeddedText(MetadataReader reader, DocumentHandle document)
    {
        foreach (CustomDebugInformationHandle handle in reader.GetCustomDebugInformation(document))
        {
            CustomDebugInformation info = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(info.Kind) != EmbeddedSourceKind)
            {
                continue;
            }

            BlobReader blob = reader.GetBlobReader(info.Value);
            int format = blob.ReadInt32();
            byte[] bytes = blob.ReadBytes(blob.RemainingBytes);
            if (format != 0)
            {
                var inflated = new byte[format];
                using var deflate = new DeflateStream(new MemoryStream(bytes), CompressionMode.Decompress);
                deflate.ReadExactly(inflated);
                bytes = inflated;
            }

            ReadOnlySpan<byte> span = bytes;
            if (span.StartsWith(Encoding.UTF8.Preamble))
            {
                span = span[Encoding.UTF8.Preamble.Length..];
            }

            return Encoding.UTF8.GetString(span);
        }

        return null;
    }
}
