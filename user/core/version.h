#ifndef EXFILD_VERSION_H
#define EXFILD_VERSION_H

#ifndef EXFILD_VERSION
#define EXFILD_VERSION "0.2.0"
#endif

#endif
