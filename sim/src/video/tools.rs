//! Finding the outside programs real video needs, and saying how to install them when absent.

use std::path::{Path, PathBuf};

use super::guard::find_program;

/// Where the real-video programs are on this machine.
#[derive(Debug, Clone)]
pub struct RealVideoTools {
    /// The encoder.
    pub ffmpeg: PathBuf,
    /// The stream inspector (optional: only tests use it).
    pub ffprobe: Option<PathBuf>,
    /// The web and RTMP server.
    pub nginx: PathBuf,
    /// nginx's RTMP module (`MENTRA_NGINX_RTMP_MODULE` overrides where it is looked for).
    pub rtmp_module: PathBuf,
}

const MODULE_PLACES: [&str; 3] = [
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    "/usr/lib64/nginx/modules/ngx_rtmp_module.so",
    "/usr/local/nginx/modules/ngx_rtmp_module.so",
];

impl RealVideoTools {
    /// Finds ffmpeg, nginx and its RTMP module; the error names what is missing and how to
    /// install it.
    pub fn find() -> Result<Self, String> {
        let ffmpeg = find_program("ffmpeg");
        let nginx = find_program("nginx");
        let rtmp_module = std::env::var_os("MENTRA_NGINX_RTMP_MODULE")
            .map(PathBuf::from)
            .into_iter()
            .chain(MODULE_PLACES.iter().map(PathBuf::from))
            .find(|p| Path::is_file(p));
        match (ffmpeg, nginx, rtmp_module) {
            (Some(ffmpeg), Some(nginx), Some(rtmp_module)) => Ok(Self {
                ffmpeg,
                ffprobe: find_program("ffprobe"),
                nginx,
                rtmp_module,
            }),
            (ffmpeg, nginx, module) => {
                let missing: Vec<&str> = [
                    (ffmpeg.is_none(), "ffmpeg"),
                    (nginx.is_none(), "nginx"),
                    (module.is_none(), "nginx's RTMP module (ngx_rtmp_module.so)"),
                ]
                .into_iter()
                .filter_map(|(absent, name)| absent.then_some(name))
                .collect();
                Err(format!(
                    "real video needs ffmpeg, nginx and nginx's RTMP module; missing: {}. \
                     On Debian or Ubuntu: sudo apt-get install ffmpeg nginx libnginx-mod-rtmp",
                    missing.join(", ")
                ))
            }
        }
    }
}
