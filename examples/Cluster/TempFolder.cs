namespace Cluster;

/// <summary>Best-effort deletion of the run's temporary folders.</summary>
internal static class TempFolder
{
    public static void Delete(string folder)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200); // a killed child may still be letting go of its files
            }
        }
    }
}
