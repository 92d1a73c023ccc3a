// The only Android-specific code in the wrapper: loading the native library with
// System.loadLibrary (which, unlike JNA, runs JNI_OnLoad) before the first UniFFI call.
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
