// The only Android-specific code in the wrapper: loading the native library early, so a
// missing or misaligned .so fails at start with UnsatisfiedLinkError (JNA would otherwise load
// it lazily, at the first call). The library has no JNI_OnLoad: JNA binds every symbol.
package glass.mentra.bridge

object AndroidPlatform {
    @Volatile private var loaded = false

    /** Call once, early (Application.onCreate), before creating a [MentraBridgeClient]. */
    @JvmStatic
    fun load() {
        if (!loaded) {
            System.loadLibrary("mentra_bridge_ffi")
            loaded = true
        }
    }
}
