/**
 * The commonest passwords: what anyone guessing tries first, so the box refuses them as new passwords (see
 * `passwordProblem` in password.ts). Written for this project from the well-known public lists (the yearly "worst
 * passwords" lists, the big leaked-password top lists, the Chinese top lists: 5201314, woaini1314, dearbook …) plus
 * admin-panel defaults and this appliance's own words (fenghuo, fangxun 防汛, shanhong 山洪, yujing 预警, mima 密码).
 * Lower case; compared after NFKC, trimming and lower-casing. Entries under 8 characters are kept although the length
 * rule already refuses them, so the list stays right if that rule changes. One space or line break between entries.
 */
const LIST = `
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123 football
monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman
1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster
soccer harley batman andrew tigger sunshine iloveyou charlie robert thomas hockey ranger daniel starwars
112233 george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie
159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea matthew access yankees
987654321 dallas austin thunder taylor matrix minecraft william corvette hello martin heather secret merlin
diamond 1234qwer hammer silver 222222 88888888 anthony justin test bailey q1w2e3r4t5 patrick internet scooter
orange 11111 golfer cookie richard samantha guitar jackson whatever mickey chicken sparky snoopy maverick
phoenix camaro peanut morgan welcome falcon cowboy ferrari samsung andrea smokey steelers joseph mercedes
dakota arsenal eagles melissa boomer booboo spider nascar monster tigers yellow xxxxxx 123123123 gateway
marina diablo bulldog qwer1234 compaq purple banana junior hannah 123654 porsche lakers iceman money cowboys
987654 london tennis 999999 coffee scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever
johnny edward 333333 oliver redsox player nikita knight fender barney midnight please brandy chicago slayer
rangers charles angel flower rabbit wizard jasper enter rachel chris steven winner adidas victoria natasha
1q2w3e4r jasmine winter prince marine fishing cocacola casper james 232323 raiders 888888 marlboro gandalf
asdfasdf crystal 87654321 12344321 golden 8675309 password1 password12 password123 password1234 password!
password01 passw0rd passw0rd1 p@ssw0rd p@ssword pa$$word pa55word p@ssw0rd123 p@ss1234 pass1234 pass123
1password mypassword mypass mypassword1 secret123 qwerty1 qwerty12 qwerty123 qwerty1234 qwerty12345
qwerty123456 qwertyui qwertyu qwerty! qwerty@123 qwerty123! 1qaz2wsx3edc zaq12wsx zaq1zaq1 zaq1xsw2 1qazxsw2
1qaz@wsx 1qaz!qaz !qaz2wsx !qaz@wsx 1q2w3e 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4t5y6 1q2w3e4r! qweasd qweasdzxc
qweasd123 qweasdzxc123 123qweasd 123qweasdzxc qazwsxedc qazwsx123 qaz123 qaz123456 wsx123 zxc123 zxc123456
zxcvbnm123 zxcv1234 asdf1234 1234asdf asd123 asd123456 asdasd asdasdasd asdfghjkl asdfghjk asdfgh123 qweqwe
qweqweqwe qwe123 qwe123456 qwe123qwe 123qwe123 abcd1234 abc12345 abc123456 abc123123 abcdef abcdefg abcdefgh
abcdefghi abcd123 abcd@1234 1234abcd a1b2c3 a1b2c3d4 a1b2c3d4e5 1a2b3c aaa111 aaaaaaa aaaaaaaa aaaaaaaaaa
zzzzzz zzzzzzzz qqqqqq qqqqqqqq xxxxxxxx a12345 a123456 a1234567 a12345678 a123456789 123456a 123456aa
12345678a 123456789a 123456abc 123456789abc 123abc aa123456 aa12345678 aa112233 a123123 aaa123456 12qwaszx
1234qwerasdf 123456qwerty 12345qwert 123456q q123456 q1234567 q12345678 q123456789 123456789q qq123456
qq123456789 qq5201314 000000000 0000000000 00000000 111111111 1111111111 1111111 22222222 222222222 2222222222
33333333 333333333 44444444 444444444 55555555 555555555 66666666 666666666 6666666666 77777777 777777777
99999999 999999999 9999999999 888888888 8888888888 0123456789 01234567 012345678 9876543210 98765432 76543210
7654321 123456789012 1234567891 12345678910 123456654321 1234554321 12345654321 123454321 12341234 11223344
11112222 11110000 10101010 12121212 13131313 14141414 12312312 123321123 123123123123 123456123 12345600
123456000 1234512345 147258369 147258 258369 159357 159357456 147852369 147852 123654789 963852741 741852963
789456123 789456 741852 369258147 357159 951753 852456 456789 456123 321321 13579 2468 24680 1357924680
13572468 31415926 314159 3141592653 7758521 7758258 168168 168888 518518 888999 1688 16888888 18888888
66668888 88886666 5201314 1314520 520520 521521 1314521 5201314520 1314520520 520520520 521521521 5211314
520131 5203344 woaini woaini1314 woaini520 woaini521 woaini123 woaini1234 woaini12345 iloveyou1 iloveyou520
iloveyou1314 wo5201314 a5201314 woaiwojia woaimama woaibaba woaini1 nihao nihao123 nihaoma dearbook xiazhili
110110110 110110 120120 119119 zhang123 wang123 li123456 liu123456 chen123456 zhangwei wangwei wangfang
lixiang zhongguo zhongguo123 china china123 beijing beijing2008 shanghai 19491001 20080808 20082008 20202020
20212021 20222022 20232023 20242024 20252025 20262026 admin admin1 admin12 admin123 admin1234 admin12345
admin123456 admin888 admin666 admin@123 admin#123 admin123! adminadmin administrator administrator1 root
root123 root1234 root@123 rootroot toor system manager supervisor support operator guest guest123 user user123
user1234 test123 test1234 testtest demo demo123 default changeme changeme1 welcome1 welcome123 welcome@123
login login123 letmein1 letmein123 football1 baseball1 monkey1 dragon1 shadow1 michael1 jordan23 superman1
batman1 sunshine1 princess1 starwars1 whatever1 freedom1 computer1 internet1 iloveu loveyou lovely love123
ilove hello123 hello1234 helloworld google google123 facebook microsoft windows apple apple123 samsung123
huawei huawei123 xiaomi xiaomi123 wifi1234 wifi12345 wireless router raspberry raspberrypi ubnt service
!@#$%^&* !@#$%^ 1q2w3e4r5 zaq!2wsx qwertyuiop123 asdfghjkl123 zxcvbnm1 1qaz2wsx! aa123456! aa123123 a111111
a000000 a888888 a666666 abc888 abc666 abc123! abcabc abcabc123 pass@123 pass@1234 password@123 password#1
qq1234 qq111111 qwerasdf qwerasdfzxcv 5555555555 fenghuo fenghuo1 fenghuo123 fenghuo1234 fenghuo12345
fenghuo@123 fenghuo2024 fenghuo2025 fenghuo2026 fangxun fangxun123 fangxun110 shanhong shanhong123 yujing
yujing123 yujing110 shuiwei shuiwei123 jingbao jingbao123 zhiban zhiban123 zhibanyuan guanliyuan guanliyuan123
mima mima123 mima1234 mima123456 mimamima
`;

/** The list as a set (about 670 entries, lower case). */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter((w) => w !== ''));
