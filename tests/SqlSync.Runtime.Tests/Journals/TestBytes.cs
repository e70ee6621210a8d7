namespace SqlSync.Journals;

/// <summary>Bytes for tests.</summary>
internal static class TestBytes
{
    /// <summary><paramref name="length"/> random bytes, the same for the same <paramref name="seed"/>.</summary>
    public static byte[] Noise(int seed, int length)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
